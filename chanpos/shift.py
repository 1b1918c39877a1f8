"""Main Sec. 4.1 / Table 2 and supplement Fig. S2: top-1 and shift consistency of four models.

Models (:data:`MODELS`): the plain ResNet ("resnet50"), Zhang's BlurPool-k2 ResNet
("blurpool_k2"), and each trained with AugShift. The ResNet depth is ``shift.arch`` in config
(ResNet-50 in the paper preset); the model names stay those of the paper's table.
"""

from __future__ import annotations

import logging
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader
from torchvision.transforms import v2 as T

from chanpos.augshift import CropBatch, ShiftCrops, augshift_loss
from chanpos.checkpoints import load_checkpoint, save_checkpoint
from chanpos.consistency import consistency, shift_offsets, zhang_offsets
from chanpos.data.imagefolder import decode_rgb, imagefolder_dataset
from chanpos.encoders import normalise_batch
from chanpos.fit import Schedule, fit, rank_and_world, spawn
from chanpos.models.shift_resnet import ShiftResNet
from chanpos.plots import PALETTE
from chanpos.provenance import config_hash, write_result
from chanpos.seeding import seed_everything
from chanpos.tables import mean_sd_table, summarise
from chanpos.train import accuracy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    """One Table 2 row: BlurPool filter size (1 = none) and whether AugShift trains it."""

    label: str
    filter_size: int
    augshift: bool


MODELS = {
    "resnet50": ModelSpec("{arch}", 1, False),
    "blurpool_k2": ModelSpec("{arch} + BlurPool-k2", 2, False),
    "augshift": ModelSpec("AugShift ({arch})", 1, True),
    "augshift_blurpool_k2": ModelSpec("AugShift + BlurPool-k2 ({arch})", 2, True),
}


# What a resume file must agree on.
TRAIN_KEYS = ("arch", "width", "view", "crop", "train", "augshift")


def arch_label(arch: str) -> str:
    """``resnet50`` -> ``ResNet-50``."""
    return "ResNet-" + arch.removeprefix("resnet")


def model_label(name: str, arch: str) -> str:
    """The model's display name with the configured depth, e.g. ``ResNet-18 + BlurPool-k2``."""
    return MODELS[name].label.format(arch=arch_label(arch))


def fig_view(cfg: dict[str, Any]) -> int:
    """Fig. S2's view size: the crop plus the largest shift, so every shifted pair fits."""
    return cfg["crop"] + max(cfg["eval"]["shifts"])


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
    data = imagefolder_dataset(Path(root), "train", crops, decode_rgb)
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
    """Top-1, Zhang consistency (Table 2) and exact-shift consistency (Fig. S2) on val."""
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
