"""Figures: grouped bars with seed spread, saved as PDF and PNG with their numbers as CSV."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from chanpos.atomic import atomic_path  # noqa: E402

plt.rcParams.update(
    {
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "chanpos",
        "pdf.fonttype": 42,
    }
)
PALETTE = ["#3b6ea8", "#d08c2b", "#5a9e5a", "#b5443c", "#7d5ba6"]


def save_figure(fig: plt.Figure, stem: Path | str, data: pd.DataFrame) -> None:
    """Save ``fig`` as ``stem.pdf`` and ``stem.png`` and the plotted numbers as ``stem.csv``."""
    stem = Path(stem)
    for ext, kwargs in [(".pdf", {"metadata": {"CreationDate": None}}), (".png", {"dpi": 200})]:
        with atomic_path(stem.with_suffix(ext)) as tmp:
            fig.savefig(tmp, format=ext[1:], bbox_inches="tight", **kwargs)
    with atomic_path(stem.with_suffix(".csv")) as tmp:
        data.to_csv(tmp, index=False)
    plt.close(fig)


def grouped_bars(
    df: pd.DataFrame,
    group: str,
    hue: str,
    value: str,
    ylabel: str,
    title: str,
    chance: float | None = None,
) -> plt.Figure:
    """Bars of the mean of ``value`` per (group, hue) with sd error bars and one dot per seed."""
    groups = list(dict.fromkeys(df[group]))
    hues = list(dict.fromkeys(df[hue]))
    width = 0.8 / len(hues)
    fig, ax = plt.subplots(figsize=(1.2 + 1.3 * len(groups), 2.6))
    for j, h in enumerate(hues):
        for i, g in enumerate(groups):
            vals = df.loc[(df[group] == g) & (df[hue] == h), value].to_numpy() * 100
            x = i + (j - (len(hues) - 1) / 2) * width
            sd = vals.std(ddof=1) if len(vals) > 1 else 0.0
            ax.bar(
                x,
                vals.mean(),
                width * 0.9,
                yerr=sd,
                capsize=3,
                color=PALETTE[j % 5],
                label=h if i == 0 else None,
                edgecolor="black",
                linewidth=0.4,
            )
            jitter = np.linspace(-width * 0.2, width * 0.2, len(vals)) if len(vals) > 1 else [0]
            ax.scatter(x + np.asarray(jitter), vals, s=8, color="black", zorder=3)
    if chance is not None:
        ax.axhline(chance * 100, color="grey", linestyle="--", linewidth=0.8, label="chance")
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 105)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3)
    return fig
