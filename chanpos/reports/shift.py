"""Table 2 and Fig. S2 from the shift runs: tables, figure and assumptions (the models are
:mod:`chanpos.shift_spec`'s)."""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from chanpos.plots import PALETTE
from chanpos.shift_spec import MODELS, arch_label, fig_view, model_label
from chanpos.tables import mean_sd_table, summarise


def assumptions(cfg: dict[str, Any]) -> list[str]:
    """The protocol's choices where the paper is silent, named in every output."""
    c, v, tr, aug = cfg["crop"], cfg["view"], cfg["train"], cfg["augshift"]
    return [
        f"Assumption (NOTES.md 3.1, lambda unknown): AugShift loss = (CE(crop 1) + CE(crop 2)) / 2"
        f" + {aug['lam']} * MSE(GAP z1, GAP z2), z = layer4 of the encoder (MSE: mean over "
        "channels).",
        f"Assumption (crop scheme unknown): '{aug['crop_scheme']}' - "
        + (
            f"one RandomResizedCrop({v}, scale {tuple(tr['scale'])}) + flip view, then two "
            f"{c} px windows at independent uniform offsets in [0, {v - c}]"
            if aug["crop_scheme"] == "translate"
            else f"two independent RandomResizedCrop({c}, scale {tuple(tr['scale'])}) + flip views"
        )
        + "; the baselines train on one such crop with cross-entropy only.",
        f"Table 2 consistency (Zhang 2019): val image Resize({v}) + CenterCrop({v}), two {c} px "
        f"windows at independent offsets in [0, {v - c}) per axis, drawn per image; "
        f"{cfg['eval']['passes']} passes with seeds 0..{cfg['eval']['passes'] - 1}. "
        f"Top-1: Resize({v}) + CenterCrop({c}).",
        f"Assumption (Fig. S2 construction not stated): Resize({fig_view(cfg)}) + "
        f"CenterCrop({fig_view(cfg)}) (= {c} + max shift), two {c} px windows exactly s px apart "
        "along a random axis (horizontal or vertical), the first uniform among positions where "
        f"both fit; {cfg['eval']['shift_passes']} passes.",
        f"Trained models: {arch_label(cfg['arch'])} with stage widths "
        f"{'/'.join(str(cfg['width'] * 2**i) for i in range(4))}, SGD momentum 0.9, one-cycle "
        f"lr {tr['lr']}, "
        f"weight decay {tr['weight_decay']}, batch {tr['batch_size']}, {tr['epochs']} epochs.",
    ]


def _in_model_order(df: pd.DataFrame, then: list[str]) -> pd.DataFrame:
    """``df`` sorted by model (in the order of :data:`MODELS`), then by ``then``."""
    rank = df["model"].map({m: i for i, m in enumerate(MODELS)})
    return (
        df.assign(_rank=rank)
        .sort_values(["_rank", *then])
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def table2_frames(
    runs: pd.DataFrame, cfg: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Long (model, seed, top1, consistency) and wide (mean ± sd per model) Table 2 frames."""
    long = _in_model_order(runs, ["seed"])[["model", "seed", "top1", "consistency"]]
    metrics = long.melt(["model", "seed"], ["top1", "consistency"], "metric")
    wide = _in_model_order(mean_sd_table(metrics, ["model"], "metric", "value"), [])
    wide = wide[["model", "top1", "consistency"]].rename(
        columns={"top1": "top-1 (%)", "consistency": "consistency (%)"}
    )
    wide["model"] = [model_label(m, cfg["arch"]) for m in wide["model"]]
    notes = [
        "Mean ± sd over seeds (n = runs); a model with published weights is one run (seed = the "
        "first configured seed). "
        + "; ".join(
            f"{m}: {'published weights' if m in cfg['weights'] else 'trained here'}"
            for m in dict.fromkeys(long.model)
        )
        + ".",
        *assumptions(cfg),
    ]
    return long, wide, notes


def fig_s2_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """Long (model, shift, seed, consistency) frame from runs with a ``shift_consistency`` dict."""
    rows = [
        {"model": r.model, "shift": int(s), "seed": r.seed, "consistency": c}
        for r in runs.itertuples()
        for s, c in r.shift_consistency.items()
    ]
    return _in_model_order(pd.DataFrame(rows), ["shift", "seed"])


def fig_s2_table(data: pd.DataFrame, cfg: dict[str, Any]) -> pd.DataFrame:
    """Fig. S2's numbers: mean ± sd consistency (%) per model, one column per shift."""
    wide = mean_sd_table(data, ["model"], "shift", "consistency")
    wide = _in_model_order(wide, [])
    wide["model"] = [model_label(m, cfg["arch"]) for m in wide["model"]]
    return wide.rename(columns={s: f"{s} px" for s in cfg["eval"]["shifts"]})


def plot_fig_s2(data: pd.DataFrame, cfg: dict[str, Any]) -> plt.Figure:
    """Consistency vs shift, one line per model: mean with a ± sd band and one dot per seed."""
    fig, ax = plt.subplots(figsize=(4.2, 3.0))
    for i, (name, d) in enumerate(data.groupby("model", sort=False)):
        stats = summarise(d, ["shift"], "consistency")
        x, m, s = (
            stats["shift"].to_numpy(),
            stats["mean"].to_numpy() * 100,
            stats["std"].to_numpy() * 100,
        )
        colour = PALETTE[i % len(PALETTE)]
        ax.plot(x, m, marker="o", ms=3, color=colour, label=model_label(name, cfg["arch"]))
        ax.fill_between(x, m - s, m + s, color=colour, alpha=0.2, linewidth=0)
        ax.scatter(d["shift"], d["consistency"] * 100, s=4, color=colour, alpha=0.6)
    ax.set_xlabel(f"shift (px; crop {cfg['crop']} px)")
    ax.set_ylabel("consistency (%)")
    ax.set_xticks(sorted(data["shift"].unique()))
    ax.set_title("Fig. S2: consistency vs pixel shift")
    ax.legend(frameon=False, fontsize=7)
    n = data.groupby("model").seed.nunique().max()
    note = (
        f"Pairs: two {cfg['crop']} px windows exactly s px apart along a random axis, from "
        f"Resize({fig_view(cfg)}) + CenterCrop; {cfg['eval']['shift_passes']} passes. "
        f"AugShift: lambda {cfg['augshift']['lam']}, '{cfg['augshift']['crop_scheme']}' crops "
        "(assumptions). "
        f"Line: mean over up to {n} seeds, band: ± sd, dots: seeds."
    )
    fig.text(0.0, -0.02, textwrap.fill(note, 95), fontsize=5.5, va="top")
    return fig
