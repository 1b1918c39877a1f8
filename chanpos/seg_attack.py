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
* :func:`attack_figure`, :func:`region_drop_figure`: the main-paper figure and Figs. S3/S4.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
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
from chanpos.data.cityscapes import NUM_CLASSES, TRAIN_CLASSES, CityscapesSegmentation
from chanpos.download import download_name
from chanpos.encoders import make_optimizer, seg_eval_item
from chanpos.metrics import (
    IGNORE_INDEX,
    REGIONS,
    confusion_matrix,
    mean_iou,
    pixel_accuracy,
    region_confusion_matrices,
)
from chanpos.models.deeplab import DeepLabV3
from chanpos.models.mmseg_deeplab import describe, model_config, output_stride
from chanpos.plots import PALETTE
from chanpos.tables import mean_sd
from chanpos.train import train_epochs

log = logging.getLogger(__name__)

SIDE_ASSUMPTION = (
    "left-specific = mean over the images whose {classes} pixels lie at least {fraction:.0%} in "
    "one half of GAP f(x_L) - GAP f(x_R), x_L being whichever of the image and its hflip has "
    "those pixels in the left half and x_R the other; right-specific = the same ranking "
    "reversed. Assumption: the authors' region image set is not documented, their code takes "
    "GAP f(x) - GAP f(hflip x) unoriented, and their right list is not the reverse of their left."
)


def seg_attack_notes(config: dict) -> list[str]:
    """The protocol and the assumptions the attack's numbers depend on, one sentence each."""
    sa, model = config["seg_attack"], config["encoders"]["deeplabv3_cityscapes"]
    arch = model["arch"]
    data = (
        "generated Cityscapes-format"
        if config["datasets"]["cityscapes"]["source"] == ("generate")
        else "Cityscapes"
    )
    weights = download_name(model.get("url", ""))
    network = (
        f"DeepLabv3, ResNet Bottleneck layers {arch['layers']}, latent = {32 * arch['width']} "
        f"channels of the last stage, output stride {arch['output_stride']}, zero padding"
    )
    if model["source"] == "vainf":
        origin = f"the authors' published checkpoint ({weights})"
    elif model["source"] == "mmseg":
        mmseg = model_config(model["config"], model.get("overrides"))
        stride = output_stride(mmseg)
        network = describe(mmseg) + (
            f" (deviation: output stride {stride}, the paper's DeepLabv3 has 16)"
            if stride != 16
            else ""
        )
        origin = (
            f"mmsegmentation's published checkpoint ({weights}, config {model['config']}), "
            "not the authors' model"
        )
    else:
        tr = model["train"]
        flips = "with" if tr["hflip"] else "without"
        origin = (
            f"{len(tr['seeds'])} segmenters trained here from scratch (training seeds "
            f"{tr['seeds']}, one thread each) for {tr['epochs']} epochs on {data} train images, "
            f"{flips} random horizontal flips"
            + (
                " (deviation from the authors' recipe, which flips: a flip mirrors the generated "
                "streets' right-hand layout)"
                if not tr["hflip"]
                else ""
            )
        )
    return [
        f"{network}; {origin}.",
        f"Eq. 2 ranking on the {data} {sa['rank_split']} split: overall = mean |GAP f(x) - "
        "GAP f(hflip x)| per channel; "
        + SIDE_ASSUMPTION.format(classes=sa["side_classes"], fraction=sa["side_fraction"]),
        f"Attack on the {data} val split: the top-N channels of a ranking (or N random channels, "
        f"random seeds {sa['seeds']}) are zeroed over the whole latent map before the head; "
        "mIoU over the 19 train classes (label 255 ignored) on the whole image, the left and "
        "right halves and the centre (the middle half of the columns).",
        "Relative drop (Figs. S3/S4) = (mIoU with N = 0 - mIoU) / mIoU with N = 0, per half "
        "and per segmenter; every segmenter is ranked and attacked on its own.",
    ]


def _flip_item(image, mask) -> tuple[Tensor, Tensor]:
    x, y = seg_eval_item(image, mask)
    return (x.flip(-1), y.flip(-1)) if torch.rand(()) < 0.5 else (x, y)


def eval_loader(root: Path | str, split: str, batch_size: int) -> DataLoader:
    """Normalised images and train-id masks of a split, in file order, at full resolution."""
    return DataLoader(CityscapesSegmentation(root, split, seg_eval_item), batch_size)


@torch.no_grad()
def evaluate(model: DeepLabV3, loader: DataLoader, device: torch.device) -> dict[str, Any]:
    """mIoU (19 train classes, 255 ignored) and pixel accuracy of the unmodified model."""
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
    zeroed channels goes through the head once. Long format: ranking, n, seed, region, miou."""
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


def combine_attacks(tables: dict[str, Path | str]) -> pd.DataFrame:
    """The attack tables of several segmenters (model id: CSV) in one, a ``model`` column first."""
    parts = [pd.read_csv(path).assign(model=model) for model, path in tables.items()]
    long = pd.concat(parts, ignore_index=True).astype({"seed": "Int64"})
    return long[["model", *[c for c in long.columns if c != "model"]]]


def attack_figure(long: pd.DataFrame) -> tuple[plt.Figure, pd.DataFrame]:
    """mIoU vs N per region: top-N overall position channels vs N random ones. Mean ± sd over
    the runs: one per segmenter for a ranking, one per (segmenter, draw) for random channels."""
    runs = long[long.ranking.isin(["overall", "random"])]
    g = runs.groupby(["ranking", "region", "n"], sort=False).miou  # tables.summarise's stats;
    data = g.agg(mean="mean", std="std", runs="count").reset_index()  # its "n" is our N here
    data["std"] = data["std"].fillna(0.0)
    models = runs.model.nunique()
    fig, axes = plt.subplots(1, len(REGIONS), figsize=(2.3 * len(REGIONS) + 0.5, 2.6), sharey=True)
    for ax, region in zip(axes, REGIONS, strict=True):
        for ranking, colour, style, label in [
            ("overall", PALETTE[3], "o-", "top-N position channels (Eq. 2)"),
            ("random", PALETTE[0], "s--", "N random channels"),
        ]:
            d = data[(data.ranking == ranking) & (data.region == region)].sort_values("n")
            mean, sd = d["mean"] * 100, d["std"] * 100
            ax.plot(d.n, mean, style, color=colour, markersize=3, label=label)
            ax.fill_between(d.n, mean - sd, mean + sd, color=colour, alpha=0.2, linewidth=0)
        ax.set_title(region if region != "overall" else "whole image")
        ax.set_xlabel("N channels zeroed")
    axes[0].set_ylabel("mIoU (%)")
    seeds = runs.loc[runs.ranking == "random", "seed"].nunique()
    fig.suptitle(
        f"Zeroing latent channels of DeepLabv3 ({models} segmenter{'s' * (models > 1)}, "
        f"{seeds} random draws each; mean ± sd)",
        y=1.02,
    )
    axes[0].legend(frameon=False, fontsize=7, loc="lower left")
    return fig, data


def attack_table(data: pd.DataFrame) -> pd.DataFrame:
    """The main figure's numbers: mIoU (%) per region and N, targeted and random (mean ± sd)."""
    cells = [
        f"{m * 100:.1f}" if k == 1 else mean_sd(m, s, k)
        for m, s, k in zip(data["mean"], data["std"], data["runs"], strict=True)
    ]
    wide = data.assign(cell=cells).pivot(index=["region", "n"], columns="ranking", values="cell")
    wide = wide.reindex(REGIONS, level="region").reset_index()
    wide.columns.name = None
    return wide.rename(columns={"overall": "top-N Eq. 2", "random": "N random"})


def drop_table(data: pd.DataFrame) -> pd.DataFrame:
    """Figs. S3/S4's numbers: relative mIoU drop (%) per half and N, mean ± sd over segmenters."""
    g = data.groupby(["n", "region"]).relative_drop
    stats = g.agg(mean="mean", std="std", runs="count").reset_index()
    stats["cell"] = [
        f"{m * 100:.1f}" if k == 1 else mean_sd(m, s, k)
        for m, s, k in zip(stats["mean"], stats["std"].fillna(0.0), stats["runs"], strict=True)
    ]
    wide = stats.pivot(index="n", columns="region", values="cell")
    wide.columns.name = None
    return wide.reset_index().rename(
        columns={"left": "left half drop (%)", "right": "right half drop (%)"}
    )


def relative_drops(long: pd.DataFrame, ranking: str) -> pd.DataFrame:
    """Relative mIoU drop ``(mIoU(0) - mIoU(N)) / mIoU(0)`` on the left and right halves, per
    segmenter (each against its own unmodified mIoU)."""
    d = long[(long.ranking == ranking) & long.region.isin(["left", "right"])]
    base = d[d.n == 0].set_index(["model", "region"])["miou"]
    d = d[d.n > 0].copy()
    d["baseline"] = base.loc[list(zip(d.model, d.region, strict=True))].to_numpy()
    d["relative_drop"] = (d.baseline - d.miou) / d.baseline
    return d[["model", "ranking", "n", "region", "miou", "baseline", "relative_drop"]]


def region_drop_figure(long: pd.DataFrame, ranking: str) -> tuple[plt.Figure, pd.DataFrame]:
    """Figs. S3/S4: relative mIoU drop on each half when the top-N ``ranking`` channels go; bars
    are the mean over segmenters, whiskers ± sd and dots the segmenters."""
    data = relative_drops(long, ranking)
    ns = sorted(data.n.unique())
    models = data.model.nunique()
    fig, ax = plt.subplots(figsize=(1.2 + 0.7 * len(ns), 2.6))
    for j, region in enumerate(["left", "right"]):
        d = data[data.region == region]
        stats = d.groupby("n").relative_drop.agg(["mean", "std"]).loc[ns].fillna(0.0) * 100
        x = [i + (j - 0.5) * 0.38 for i in range(len(ns))]
        ax.bar(x, stats["mean"], 0.36, color=PALETTE[j], label=f"{region} half")
        if models > 1:
            ax.errorbar(x, stats["mean"], stats["std"], fmt="none", ecolor="black", elinewidth=0.8)
            pos = {n: xi for n, xi in zip(ns, x, strict=True)}
            ax.plot(d.n.map(pos), d.relative_drop * 100, ".", color="black", markersize=2)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_xticks(range(len(ns)), [str(n) for n in ns])
    ax.set_xlabel(f"top-N {ranking}-specific channels zeroed")
    ax.set_ylabel("relative mIoU drop (%)")
    ax.set_title(
        f"Zeroing {ranking}-specific channels"
        + (f" ({models} segmenters, mean ± sd)" if models > 1 else "")
    )
    ax.legend(frameon=False, fontsize=8)
    return fig, data
