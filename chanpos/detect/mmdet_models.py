"""mmdet detectors from config files: build, train on CityPersons-as-COCO, save, load, predict.

Any mmdet detector whose ``predict`` calls ``self.extract_feat(inputs)`` (single- and two-stage
detectors, Cascade R-CNN, the CSP detector of :mod:`chanpos.detect.csp`) works here; a config's
``custom_imports`` are imported, so a detector registered by chanpos plugs in by config alone.
Datasets are mmdet's ``CocoDataset`` on the JSON of :func:`chanpos.data.citypersons.to_coco`,
with the ``train_dataloader`` / ``test_dataloader`` pipelines of the detector's config.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from chanpos.atomic import atomic_path

log = logging.getLogger(__name__)
Detection = tuple[int, float, float, float, float, float]  # image id, x, y, w, h, score


def _scope() -> None:
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    MMLogger.get_current_instance().setLevel(logging.WARNING)  # init_weights logs every tensor
    init_default_scope("mmdet")


def load_config(
    source: Path | str | Mapping[str, Any], overrides: Mapping[str, Any] | None = None
) -> Any:
    """An mmengine ``Config`` from a file (``mmdet::`` bases resolved) or its saved text dict,
    with ``overrides`` merged in (mmengine's dotted keys, e.g. ``model.backbone.init_cfg``)."""
    from mmengine.config import Config

    _scope()
    cfg = Config(dict(source)) if isinstance(source, Mapping) else Config.fromfile(str(source))
    if overrides:
        cfg.merge_from_dict(dict(overrides))
    return cfg


def build_detector(cfg: Any) -> nn.Module:
    """The detector of ``cfg.model``, its weights initialised as the config says."""
    from mmdet.registry import MODELS
    from mmengine.utils import import_modules_from_strings

    _scope()
    if cfg.get("custom_imports"):
        import_modules_from_strings(**cfg.custom_imports)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def coco_dataset(cfg: Any, root: Path | str, ann_file: Path | str, train: bool) -> Any:
    """mmdet's ``CocoDataset`` of one class (person) with the config's train or test pipeline."""
    from mmdet.datasets import CocoDataset

    _scope()
    loader = cfg.train_dataloader if train else cfg.test_dataloader
    return CocoDataset(
        data_root=str(root),
        ann_file=str(Path(ann_file).resolve()),
        data_prefix=dict(img=""),
        metainfo=dict(classes=("person",)),
        filter_cfg=dict(filter_empty_gt=train, min_size=0),
        pipeline=loader.dataset.pipeline,
        test_mode=not train,
    )


def _collate(batch: list) -> Any:
    from mmengine.dataset import pseudo_collate

    return pseudo_collate(batch)


def loader(dataset: Any, batch_size: int, shuffle: bool = False, seed: int = 0) -> DataLoader:
    """Batches as mmdet's data preprocessor takes them (lists of inputs and data samples)."""
    gen = torch.Generator().manual_seed(seed)
    return DataLoader(
        dataset, batch_size, shuffle=shuffle, collate_fn=_collate, generator=gen, drop_last=shuffle
    )


def train_detector(
    model: nn.Module, dataset: Any, cfg: Mapping[str, Any], device: torch.device
) -> list[float]:
    """SGD (momentum 0.9) for ``cfg["iters"]`` steps of ``cfg["batch_size"]`` images: linear
    warm-up over ``cfg["warmup"]`` steps, then cosine decay of ``cfg["lr"]``; gradients clipped
    to norm 10. Returns the mean loss of each tenth of the schedule."""
    model.to(device).train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=cfg["lr"], momentum=0.9, weight_decay=cfg["weight_decay"])
    iters, warmup = cfg["iters"], cfg["warmup"]

    def lr_at(i: int) -> float:
        if i < warmup:
            return cfg["lr"] * (0.1 + 0.9 * i / warmup)
        return cfg["lr"] * 0.5 * (1 + math.cos(math.pi * (i - warmup) / max(1, iters - warmup)))

    def batches() -> Iterator[Any]:
        epoch = 0
        while True:
            yield from loader(dataset, cfg["batch_size"], shuffle=True, seed=cfg["seed"] + epoch)
            epoch += 1

    losses, chunk, start = [], [], time.time()
    for i, batch in zip(range(iters), batches(), strict=False):
        for group in opt.param_groups:
            group["lr"] = lr_at(i)
        data = model.data_preprocessor(batch, True)
        loss, parts = model.parse_losses(model.loss(data["inputs"], data["data_samples"]))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()
        chunk.append(float(loss))
        if len(chunk) == max(1, iters // 10) or i == iters - 1:
            losses.append(sum(chunk) / len(chunk))
            chunk = []
            log.info(
                "step %d/%d loss %.3f (%s) %.2f s/step",
                i + 1, iters, losses[-1],
                ", ".join(f"{k} {float(v):.3f}" for k, v in parts.items() if k != "loss"),
                (time.time() - start) / (i + 1),
            )  # fmt: skip
    return losses


def save_detector(path: Path | str, model: nn.Module, cfg: Any, **meta: Any) -> None:
    """The state dict with the full config (as a dict), loadable with ``weights_only=True``."""
    with atomic_path(path) as tmp:
        torch.save({"config": cfg.to_dict(), "meta": meta, "state_dict": model.state_dict()}, tmp)


def load_detector(path: Path | str) -> tuple[nn.Module, Any]:
    """Rebuild a detector saved by :func:`save_detector`; returns (model in eval mode, config)."""
    blob = torch.load(path, map_location="cpu", weights_only=True)
    cfg = load_config(blob["config"])
    model = build_detector(cfg)
    model.load_state_dict(blob["state_dict"])
    return model.eval(), cfg


def detections(samples: list, image_ids: list[int]) -> list[Detection]:
    """``(image id, x, y, w, h, score)`` rows of the predictions in mmdet data samples."""
    rows = []
    for sample, image_id in zip(samples, image_ids, strict=True):
        pred = sample.pred_instances
        for (x1, y1, x2, y2), s in zip(pred.bboxes.tolist(), pred.scores.tolist(), strict=True):
            rows.append((image_id, x1, y1, x2 - x1, y2 - y1, s))
    return rows


def predict_from_features(
    model: nn.Module, features: Any, inputs: torch.Tensor, samples: list
) -> list:
    """``model.predict`` with ``extract_feat`` returning ``features`` (the latent given, e.g.
    zeroed): the rest of the detector runs exactly as in ``predict``."""
    model.extract_feat = lambda _x: features
    try:
        return model.predict(inputs, samples, rescale=True)
    finally:
        del model.extract_feat


PEDESTRON_HOWTO = (
    "Get Pedestron's CityPersons checkpoint for {detector} (links in the README of "
    "https://github.com/hasanirtiza/Pedestron; Table S1's Faster R-CNN HRNet is the Google-Drive "
    "file 1aanqAEFBc_KGU8oCFCji-wqmLmqTd749), expected sha256 {sha256}, and set "
    "detectors.{detector}.checkpoint to its path; the workflow converts it to mmdet 3 itself."
)


def import_pedestron(
    config: Path | str, source: Mapping[str, Any], out: Path | str, detector: str
) -> dict[str, Any]:
    """Convert Pedestron's mmdet 1.x checkpoint ``source["checkpoint"]`` (pinned by
    ``source["sha256"]``) to the config's detector, load it strictly and save it as
    :func:`save_detector` does. A missing file or an unpinned hash is a clear error."""
    from chanpos.detect.convert import convert_file

    path, sha256 = source.get("checkpoint") or "", source.get("sha256")
    how = PEDESTRON_HOWTO.format(detector=detector, sha256=sha256 or "(not pinned)")
    if not path or not Path(path).is_file():
        raise FileNotFoundError(f"detector checkpoint not found: {str(path)!r}. {how}")
    if not sha256:
        raise ValueError(f"detectors.{detector}.sha256 is not set: pin the file's hash. {how}")
    cfg = load_config(config)
    model = build_detector(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        converted = Path(tmp) / "converted.pth"
        convert_file(
            path, converted, sha256, source.get("arch", detector), source.get("keep_classes")
        )
        blob = torch.load(converted, map_location="cpu", weights_only=True)
    model.load_state_dict(blob["state_dict"], strict=True)
    save_detector(out, model, cfg, detector=detector, source=str(path), sha256=sha256)
    return {"detector": detector, "checkpoint": str(path), "sha256": sha256, **blob["meta"]}
