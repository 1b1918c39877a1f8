"""Supplement S4, Table S1: zero a pedestrian detector's top-N Eq. 2 channels (or N random ones)
and measure CityPersons MR^-2.

The latent split of a detector (:class:`DetectorSplit`): ``encode(x)`` is the neck output the
heads read, a tuple of maps with one channel set (HRFPN: 5 levels; CSP: one 768-channel map).
Eq. 2 scores channel c by the flip difference of ``mean over levels of GAP(level_c)``
(:func:`chanpos.latent.gap`), so one score per channel over all levels together, each level
weighted equally (:data:`LEVEL_ASSUMPTION`); zeroing removes the same channel indices at every
level. Ranking, random draws and zeroing are :mod:`chanpos.channels`'.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn
from tqdm import tqdm

from chanpos import mr
from chanpos.channels import flip_differences, overall_scores, random_channels, zero_channels
from chanpos.detect.mmdet_models import Detection, detections, loader, predict_from_features

DETECTORS = ("faster_rcnn", "cascade_rcnn", "csp")
VARIANTS = ("baseline", "random", "targeted")
LEVEL_ASSUMPTION = (
    "Assumption: the detector's latent is its neck output ({levels} level(s) x {channels} "
    "channels); Eq. 2 scores channel c by |mean over levels of GAP(level_c)(x) - the same of "
    "hflip(x)|, levels weighted equally, averaged over the {split} images; zeroing removes the "
    "same channel indices at every level. The paper does not say how levels were combined."
)
# Table S1 of the supplement, MR^-2 in %: (detector, variant) -> setup -> value.
PAPER = {
    ("faster_rcnn", "baseline"): (10.3, 11.59, 33.07, 30.34),
    ("faster_rcnn", "random"): (10.83, 11.87, 33.78, 31.92),
    ("faster_rcnn", "targeted"): (12.51, 12.77, 36.95, 34.36),
    ("cascade_rcnn", "baseline"): (7.55, 8.55, 27.47, 26.89),
    ("cascade_rcnn", "random"): (7.85, 8.39, 28.31, 27.17),
    ("cascade_rcnn", "targeted"): (8.44, 9.3, 30.59, 28.57),
    ("csp", "baseline"): (11.05, 14.76, 41.35, 37.57),
    ("csp", "random"): (11.05, 15.0, 41.3, 38.05),
    ("csp", "targeted"): (11.14, 16.7, 41.24, 38.82),
}
SETUP_NAMES = {"reasonable": "Reasonable", "small": "Small", "heavy": "Heavy", "all": "All"}


def _levels(z: Tensor | Sequence[Tensor]) -> list[Tensor]:
    return list(z) if isinstance(z, (tuple, list)) else [z]


def zero_levels(z: Tensor | Sequence[Tensor], channels: Sequence[int]) -> Any:
    """:func:`chanpos.channels.zero_channels` at every level of a (multi-level) latent."""
    if not isinstance(z, (tuple, list)):
        return zero_channels(z, channels)
    return type(z)(zero_channels(level, channels) for level in z)


class DetectorSplit:
    """The latent split of an mmdet detector: ``encode`` = ``extract_feat`` (backbone + neck)."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def encode(self, x: Tensor) -> tuple[Tensor, ...]:
        """The neck output the heads read, as a tuple of levels."""
        return tuple(_levels(self.model.extract_feat(x)))

    def head(self, z: Sequence[Tensor], inputs: Tensor, samples: list) -> list:
        """The heads' predictions (mmdet data samples) from the latent ``z`` (as ``encode``
        gives it, or as the model's ``extract_feat`` does)."""
        return predict_from_features(self.model, z, inputs, samples)


@contextmanager
def zeroed_neck(model: nn.Module, channels: Sequence[int]) -> Iterator[None]:
    """While active, ``channels`` of every neck output level are zeroed (a forward hook)."""
    handle = model.neck.register_forward_hook(lambda _m, _i, out: zero_levels(out, channels))
    try:
        yield
    finally:
        handle.remove()


def batches(model: nn.Module, dataset: Any, batch_size: int, device: torch.device) -> Iterator:
    """(inputs, data samples, image ids) of a test dataset, preprocessed as in ``predict``."""
    for batch in loader(dataset, batch_size):
        data = model.data_preprocessor(batch, False)
        samples = data["data_samples"]
        yield data["inputs"].to(device), samples, [int(s.img_id) for s in samples]


@torch.no_grad()
def rank_scores(
    model: nn.Module, dataset: Any, batch_size: int, device: torch.device
) -> tuple[Tensor, dict[str, int]]:
    """Eq. 2 overall scores of the neck channels over ``dataset``; and the latent's shape."""
    model.eval()
    split = DetectorSplit(model)
    inputs = (x for x, _s, _i in batches(model, dataset, batch_size, device))
    diff = flip_differences(split, inputs, device)
    first = next(batches(model, dataset, 1, device))[0]
    levels = split.encode(first)
    return overall_scores(diff), {"levels": len(levels), "channels": levels[0].shape[1]}


def attack_variants(
    order: Sequence[int], n: int, seeds: Sequence[int], num_channels: int
) -> dict[tuple[str, int | None], list[int]]:
    """Channels zeroed per (variant, seed): none, the top ``n`` ranked, ``n`` random per seed."""
    variants: dict[tuple[str, int | None], list[int]] = {
        ("baseline", None): [],
        ("targeted", None): list(order[:n]),
    }
    for seed in seeds:
        variants[("random", seed)] = random_channels(num_channels, seed)[:n]
    return variants


@torch.no_grad()
def attack(
    model: nn.Module,
    dataset: Any,
    variants: Mapping[tuple[str, int | None], Sequence[int]],
    batch_size: int,
    device: torch.device,
) -> dict[tuple[str, int | None], list[Detection]]:
    """Detections of every variant; each batch is encoded once, the heads run per variant."""
    model.eval()
    out: dict[tuple[str, int | None], list[Detection]] = {key: [] for key in variants}
    for inputs, samples, ids in tqdm(batches(model, dataset, batch_size, device), desc="attack"):
        z = model.extract_feat(inputs)
        for key, channels in variants.items():
            pred = predict_from_features(model, zero_levels(z, channels), inputs, samples)
            out[key] += detections(pred, ids)
    return out


def miss_rate_rows(
    detector: str,
    annotations: Mapping[int, Any],
    dets: Mapping[tuple[str, int | None], list[Detection]],
) -> pd.DataFrame:
    """Long format ``detector, variant, seed, setup, mr`` (MR^-2 as a fraction)."""
    rows = [
        {"detector": detector, "variant": variant, "seed": seed, "setup": setup, "mr": value}
        for (variant, seed), d in dets.items()
        for setup, value in mr.evaluate(annotations, d).items()
    ]
    return pd.DataFrame(rows).astype({"seed": "Int64"})


def wide_table(long: pd.DataFrame) -> pd.DataFrame:
    """Table S1: one row per detector and variant; per setup our MR^-2 in % (random: mean ± sd
    over seeds) beside the paper's value."""
    rows = []
    for detector in [d for d in DETECTORS if d in set(long.detector)]:
        for variant in VARIANTS:
            d = long[(long.detector == detector) & (long.variant == variant)]
            if d.empty:
                continue
            row: dict[str, Any] = {"detector": detector, "variant": variant}
            row["seeds"] = int(d.seed.nunique()) if variant == "random" else ""
            for k, (setup, name) in enumerate(SETUP_NAMES.items()):
                v = d[d.setup == setup].mr * 100
                row[name] = f"{v.mean():.2f}" + (f" ± {v.std():.2f}" if len(v) > 1 else "")
                row[f"{name} (paper)"] = PAPER[(detector, variant)][k]
            rows.append(row)
    return pd.DataFrame(rows)


def table_s1_notes(config: Mapping[str, Any]) -> list[str]:
    """The detectors and the protocol Table S1's numbers depend on, one sentence each."""
    data = config["datasets"]["citypersons"]["source"]
    data = "generated CityPersons-format" if data == "generate" else "CityPersons"
    notes = []
    for name in config["table_s1"]["detectors"]:
        det = config["detectors"][name]
        if det["source"] == "train":
            tr = det["train"]
            origin = (
                f"trained here for {tr['iters']} SGD steps of {tr['batch_size']} {data} train "
                "images"
            )
        else:
            origin = (
                f"Pedestron's CityPersons checkpoint ({Path(det['checkpoint']).name}), converted"
            )
        notes.append(f"{name}: {det['config']}, {origin}; {det['n']} neck channels zeroed.")
    split = config["table_s1"]["rank_split"]
    return [
        *notes,
        f"Eq. 2 ranking on the {data} {split} split; MR^-2 on the {data} val split.",
        LEVEL_ASSUMPTION.format(levels="all", channels="its", split=split),
    ]


def targeted_vs_random(long: pd.DataFrame, setup: str = "all") -> dict[str, dict[str, Any]]:
    """Per detector: rise of MR^-2 (``setup``) over the baseline when targeted, and when random
    (each seed); ``holds`` if targeted rises more than every random seed."""
    out = {}
    for detector, d in long[long.setup == setup].groupby("detector", sort=False):
        base = float(d[d.variant == "baseline"].mr.iloc[0])
        targeted = float(d[d.variant == "targeted"].mr.iloc[0]) - base
        random = (d[d.variant == "random"].mr - base).tolist()
        out[detector] = {
            "baseline": base,
            "targeted_rise": targeted,
            "random_rises": random,
            "holds": bool(random) and targeted > max(random),
        }
    return out
