"""Main Sec. 4.2 and Figs. S3/S4: rank a segmenter's latent channels by Eq. 2, zero them, measure.

* :func:`train_deeplabv3`: the mini preset's DeepLabv3 on a Cityscapes-format tree (full frames,
  as they are small; random horizontal flips if ``hflip``). The authors' recipe trains on random
  flipped crops of the 1024 x 2048 frames.
* :func:`rank_segmenter_channels`: Eq. 2 scores (:mod:`chanpos.channels`) over a split: overall
  on every image; left-specific as the side score on the images whose pixels of the chosen
  classes lie mostly in one half, each image's flip difference oriented so that it compares the
  version (x or hflip x) with those pixels on the left against the other; right-specific as the
  same scores reversed (NOTES.md's default, right = -left). The authors took the plain signed
  difference on 42 Cityscapes val images of an undocumented choice, and their right list is not
  the reverse of their left one; our definition is an assumption and is recorded as such.
  Unoriented per-side scores (the signed difference on the images with the classes on the left,
  and on those with them on the right) are dominated by the street layout both sets share: in
  the mini preset the two rankings shared 21 of their top 32 channels (tools/seg_side_probe.md).
* :func:`attack`: every (ranking, N, seed) variant on each image's latent, computed once per
  image, with mIoU on the whole image and on the left half, right half and centre.
* The main-paper figure and Figs. S3/S4 are :mod:`chanpos.reports.seg_attack`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import DataLoader
from tqdm import tqdm

from chanpos.channels import (
    flip_differences,
    overall_scores,
    random_channels,
    side_scores,
    zero_channels,
)
from chanpos.data.cityscapes import NUM_CLASSES, TRAIN_CLASSES
from chanpos.data.cityscapes_dataset import CityscapesSegmentation
from chanpos.encoders import make_optimizer, seg_eval_item
from chanpos.metrics import (
    IGNORE_INDEX,
    confusion_matrix,
    mean_iou,
    pixel_accuracy,
    region_confusion_matrices,
)
from chanpos.models.deeplab import DeepLabV3
from chanpos.regions import REGIONS
from chanpos.train import train_epochs

log = logging.getLogger(__name__)


def _flip_item(image, mask) -> tuple[Tensor, Tensor]:
    x, y = seg_eval_item(image, mask)
    return (x.flip(-1), y.flip(-1)) if torch.rand(()) < 0.5 else (x, y)


def eval_loader(root: Path | str, split: str, batch_size: int) -> DataLoader:
    """Normalised images and train-id masks of a split, in file order, at full resolution."""
    return DataLoader(CityscapesSegmentation(root, split, seg_eval_item), batch_size)


@torch.no_grad()
def evaluate(model: DeepLabV3, loader: DataLoader, device: torch.device) -> dict[str, Any]:
    """mIoU (19 train classes, 255 ignored) and pixel accuracy of the unmodified model; leaves
    ``model`` in eval mode and channels_last (converted in place)."""
    model.eval().to(memory_format=torch.channels_last)  # see :func:`attack`
    cm = torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.long)
    for x, y in loader:
        cm += confusion_matrix(model(x.to(device)).argmax(1).cpu(), y, NUM_CLASSES)
    iou = cm.diag() / (cm.sum(0) + cm.sum(1) - cm.diag()).clamp(min=1)
    present = {c: round(float(iou[i]), 4) for i, c in enumerate(TRAIN_CLASSES) if cm[i].sum()}
    return {"miou": mean_iou(cm), "pixel_accuracy": pixel_accuracy(cm), "class_iou": present}


def train_deeplabv3(
    root: Path | str, arch: dict[str, Any], cfg: dict[str, Any], device: torch.device
) -> tuple[DeepLabV3, dict[str, Any]]:
    """Train DeepLabv3 from scratch on the train split; return it and its val metrics."""
    train_set = CityscapesSegmentation(root, "train", _flip_item if cfg["hflip"] else seg_eval_item)
    gen = torch.Generator().manual_seed(cfg["seed"])
    loader = DataLoader(train_set, cfg["batch_size"], shuffle=True, drop_last=True, generator=gen)
    model = DeepLabV3(NUM_CLASSES, **arch).to(device)
    opt, sched = make_optimizer(model, cfg, cfg["epochs"] * len(loader))

    def loss_fn(logits: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(logits, target, ignore_index=IGNORE_INDEX)

    losses = train_epochs(
        model, lambda _e: loader, opt, cfg["epochs"], device, "deeplabv3", sched, loss_fn
    )
    metrics = evaluate(model, eval_loader(root, "val", cfg["batch_size"]), device)
    log.info("deeplabv3: train loss %s, val %s", losses, metrics)
    return model, {**metrics, "train_loss": losses}


def rank_segmenter_channels(
    model: DeepLabV3,
    loader: DataLoader,
    side_classes: Sequence[str],
    side_fraction: float,
    device: torch.device,
) -> dict[str, Any]:
    """Eq. 2 scores (overall, left, right) and the indices of the images whose ``side_classes``
    pixels lie at least ``side_fraction`` in the left (right) half, which orient the side scores."""
    classes = torch.tensor([TRAIN_CLASSES.index(c) for c in side_classes])
    sides: list[int] = []  # per image: +1 left, -1 right, 0 neither

    def images() -> Iterator[Tensor]:
        for x, y in loader:
            for mask in y:
                hit = torch.isin(mask, classes)
                half = mask.shape[-1] // 2
                left, right = int(hit[:, :half].sum()), int(hit[:, half:].sum())
                need = side_fraction * (left + right)
                sides.append(1 if left and left >= need else -1 if right and right >= need else 0)
            yield x

    model.eval()
    diff = flip_differences(model, images(), device)
    orient = torch.tensor(sides)
    if not orient.any():
        raise ValueError(
            f"no image has at least {side_fraction:.0%} of its {list(side_classes)} pixels in "
            "one half; use more images or a lower seg_attack.side_fraction"
        )
    left = side_scores(diff, orient)
    return {
        "scores": {"overall": overall_scores(diff), "left": left, "right": -left},
        "sets": {
            "left": (orient == 1).nonzero().flatten().tolist(),
            "right": (orient == -1).nonzero().flatten().tolist(),
        },
    }


def attack_variants(
    rankings: dict[str, list[int]], ns: Sequence[int], seeds: Sequence[int], num_channels: int
) -> dict[tuple[str, int, int | None], list[int]]:
    """Channels zeroed per (ranking, N, seed): the top N of each ranking, N random per seed."""
    variants = {(name, n, None): order[:n] for name, order in rankings.items() for n in ns}
    for seed in seeds:
        order = random_channels(num_channels, seed)
        variants.update({("random", n, seed): order[:n] for n in ns})
    return variants


@torch.no_grad()
def attack(
    model: DeepLabV3,
    loader: DataLoader,
    variants: dict[tuple[str, int, int | None], list[int]],
    device: torch.device,
) -> pd.DataFrame:
    """Region mIoU of every variant; each image is encoded once and each distinct set of
    zeroed channels goes through the head once. Long format: ranking, n, seed, region, miou.
    Leaves ``model`` in eval mode and channels_last (converted in place)."""
    distinct = {tuple(sorted(c)) for c in variants.values()}
    zeros = torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.long, device=device)
    cms = {key: {r: zeros.clone() for r in REGIONS} for key in distinct}
    # channels_last logits put each pixel's class scores side by side: the argmax over classes
    # then reads contiguous memory (on CPU, the attack of the mini preset ran twice as fast)
    model.eval().to(memory_format=torch.channels_last)
    for x, y in tqdm(loader, desc="attack", leave=False):
        z, y = model.encode(x.to(device)), y.to(device)
        for key in distinct:
            pred = model.head(zero_channels(z, key), size=tuple(y.shape[-2:])).argmax(1)
            for region, cm in region_confusion_matrices(pred, y, NUM_CLASSES).items():
                cms[key][region] += cm
    rows = [
        {"ranking": name, "n": n, "seed": seed, "region": r, "miou": mean_iou(cms[key][r])}
        for (name, n, seed), channels in variants.items()
        for key in [tuple(sorted(channels))]
        for r in REGIONS
    ]
    return pd.DataFrame(rows).astype({"seed": "Int64"})
