"""Main Sec. 4.2's figure and Figs. S3/S4 from the attack tables, and the protocol's notes.

* :func:`attack_figure`: mIoU vs N, top-N overall position channels vs N random ones.
* :func:`region_drop_figure`: Figs. S3/S4, the relative mIoU drop per half when the top-N
  right- / left-specific channels are zeroed.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from chanpos.download import download_name
from chanpos.models.mmseg_config import describe, model_config, output_stride
from chanpos.plots import PALETTE
from chanpos.regions import REGIONS
from chanpos.tables import mean_sd

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
