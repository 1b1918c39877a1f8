"""Main Sec. 4.1 / Table 2 and supplement Fig. S2: train the four models
(:data:`chanpos.shift_spec.MODELS`) and measure their top-1 and shift consistency; the
table and figure are :mod:`chanpos.reports.shift`'s."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader
from torchvision.transforms import v2 as T

from chanpos.augshift import CropBatch, ShiftCrops, augshift_loss
from chanpos.checkpoints import load_checkpoint, save_checkpoint
from chanpos.consistency import consistency, shift_offsets, zhang_offsets
from chanpos.data.cache import MemoryCache
from chanpos.data.imagefolder_dataset import decode_rgb, imagefolder_dataset
from chanpos.encoders import normalise_batch
from chanpos.fit import Schedule, fit, rank_and_world, spawn
from chanpos.models.shift_resnet import ShiftResNet
from chanpos.provenance import config_hash, write_result
from chanpos.seeding import seed_everything
from chanpos.shift_spec import MODELS, fig_view
from chanpos.train import accuracy

log = logging.getLogger(__name__)


# What a resume file must agree on.
TRAIN_KEYS = ("arch", "width", "view", "crop", "train", "augshift")


def _train(
    root: str,
    name: str,
    seed: int,
    cfg: dict[str, Any],
    devices: list[torch.device],
    outputs: tuple[str, str, str],
    prov: dict[str, Any],
) -> None:
    rank, world = rank_and_world()
    device = devices[rank]
    if device.type == "cuda":
        torch.cuda.set_device(device)
    seed_everything(seed)
    spec, tr, aug = MODELS[name], cfg["train"], cfg["augshift"]
    crops = ShiftCrops(
        2 if spec.augshift else 1, cfg["crop"], cfg["view"], aug["crop_scheme"], tr["scale"]
    )
    decoded = MemoryCache(decode_rgb, tr["cache_mb"] << 20)
    data = imagefolder_dataset(Path(root), "train", crops, decoded)
    model = ShiftResNet(cfg["arch"], spec.filter_size, len(data.classes), cfg["width"])
    model = model.to(device, memory_format=torch.channels_last)  # faster on CPU and GPU alike
    schedule = Schedule(
        tr["epochs"], tr["batch_size"], tr["lr"], tr["weight_decay"], seed, tr["workers"]
    )
    out_model, out_metrics, resume = outputs
    losses = fit(
        CropBatch(model, amp=device.type == "cuda"),
        data,
        lambda out, y: augshift_loss(out, y, aug["lam"] if spec.augshift else 0.0),
        schedule,
        device,
        resume,
        key=f"{name}_seed{seed}_{config_hash({k: cfg[k] for k in TRAIN_KEYS})}",
    )
    if rank == 0:
        meta = {"resnet": cfg["arch"], "filter_size": spec.filter_size, "width": cfg["width"]}
        save_checkpoint(out_model, model, "shift_resnet", **meta, num_classes=len(data.classes))
        result = {"model": name, "seed": seed, "source": "trained", "train_loss": losses, **meta}
        write_result(out_metrics, result, {**prov, "world_size": world, "device": str(device)})


def train_shift_model(
    root: Path | str,
    name: str,
    seed: int,
    cfg: dict[str, Any],
    devices: list[torch.device],
    outputs: tuple[Path | str, Path | str, Path | str, Path | str],
    prov: dict[str, Any],
) -> None:
    """Train Table 2 model ``name``, then evaluate it with :func:`evaluate_checkpoint`.

    ``outputs``: (checkpoint, metrics JSON, run JSON, resume file). The resume file is removed
    only once the run JSON is written, so a job stopped while evaluating does not train again.
    On several CUDA ``devices`` (the job's claim), trains with DDP, one process per device, and
    evaluates on the first.
    """
    checkpoint, metrics, run, resume = map(str, outputs)
    args = (str(root), name, seed, cfg, list(devices), (checkpoint, metrics, resume), prov)
    if len(devices) > 1:
        spawn(_train, len(devices), *args)
    else:
        _train(*args)
    evaluate_checkpoint(checkpoint, root, name, seed, cfg, devices[0], run, prov)
    Path(resume).unlink(missing_ok=True)


def _views(root: Path, split: str, size: int, crop: int, cfg: dict[str, Any]) -> DataLoader:
    """uint8 batches of the images resized to ``size`` and centre-cropped to ``crop``."""
    tf = T.Compose([T.Resize(size, antialias=True), T.CenterCrop(crop)])
    data = imagefolder_dataset(root, split, tf, decode_rgb)
    return DataLoader(data, cfg["batch_size"], num_workers=cfg["workers"])


def evaluate_shift(
    model: torch.nn.Module, root: Path | str, cfg: dict[str, Any], device: torch.device
) -> dict[str, Any]:
    """Top-1, Zhang consistency (Table 2) and exact-shift consistency (Fig. S2) on val; moves
    ``model`` to ``device`` and channels_last, in place."""
    ev, c, v = cfg["eval"], cfg["crop"], cfg["view"]
    model = torch.nn.Sequential(normalise_batch(), model)
    model = model.to(device, memory_format=torch.channels_last).eval()
    top1 = accuracy(model, _views(Path(root), "val", v, c, ev), device)
    zhang = consistency(
        model,
        _views(Path(root), "val", v, v, ev),
        c,
        {"zhang": zhang_offsets(v - c)},
        ev["passes"],
        0,
        device,
    )["zhang"]
    fv = fig_view(cfg)
    samplers = {s: shift_offsets(fv - c, s) for s in ev["shifts"]}
    shifts = consistency(
        model, _views(Path(root), "val", fv, fv, ev), c, samplers, ev["shift_passes"], 0, device
    )
    log.info("top-1 %.3f, consistency %.3f, by shift %s", top1, np.mean(zhang), shifts)
    return {
        "top1": top1,
        "consistency": float(np.mean(zhang)),
        "consistency_passes": zhang,
        "shift_consistency": {str(s): float(np.mean(p)) for s, p in shifts.items()},
    }


def evaluate_checkpoint(
    path: Path | str,
    root: Path | str,
    name: str,
    seed: int,
    cfg: dict[str, Any],
    device: torch.device,
    out: Path | str,
    prov: dict[str, Any],
) -> None:
    """Evaluate the Table 2 model saved at ``path`` (:func:`evaluate_shift`) and write its run
    JSON ``out``: what the training job does after training, and the job of a published one."""
    result = evaluate_shift(load_checkpoint(path), root, cfg, device)
    write_result(out, {"model": name, "seed": seed, **result}, prov)
