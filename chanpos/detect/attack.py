"""Supplement S4, Table S1: zero a pedestrian detector's top-N Eq. 2 channels (or N random ones)
and measure CityPersons MR^-2.

The latent split of a detector (:class:`DetectorSplit`): ``encode(x)`` is the neck output the
heads read, a tuple of maps with one channel set (HRFPN: 5 levels; CSP: one 768-channel map).
Eq. 2 scores channel c by the flip difference of ``mean over levels of GAP(level_c)``
(:func:`chanpos.latent.gap`), so one score per channel over all levels together, each level
weighted equally (:data:`chanpos.reports.table_s1.LEVEL_ASSUMPTION`); zeroing removes the same
channel indices at every level. Ranking, random draws and zeroing are :mod:`chanpos.channels`'.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn
from tqdm import tqdm

from chanpos import mr
from chanpos.channels import flip_differences, overall_scores, random_channels, zero_channels
from chanpos.detect.mmdet_models import Detection, detections, loader, predict_from_features


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
