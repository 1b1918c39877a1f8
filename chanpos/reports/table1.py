"""Table 1 from the location runs: its tables and the protocol's notes."""

from __future__ import annotations

import pandas as pd

from chanpos.tables import mean_sd_table


def table1_notes(config: dict) -> list[str]:
    """The protocol and the assumptions Table 1's numbers depend on, one sentence each."""
    cfg = config["table1"]
    generated = config["datasets"]["cifar10"]["source"] == "generate"
    return [
        f"Canvases of {'generated CIFAR-10-format' if generated else 'CIFAR-10'} images. "
        f"CIFAR-style ResNet-18 (7x7 stride-2 conv1, no max-pool, zero padding), width "
        f"{cfg['width']}, canvas cell {cfg['cell']} px; Adam lr {cfg['lr']}, betas (0.5, 0.999), "
        f"batch {cfg['batch_size']}, epochs {cfg['epochs']}; test = mean of "
        f"{cfg['test_passes']} passes with fresh random cells.",
        "PermuteNet: one channel permutation per forward pass (per batch), after GAP, at train "
        "and test, as in the authors' code (layer=5).",
        "Assumption (NOTES.md 2.4): the paper's grid sizes are unknown; grids run here: "
        f"{cfg['grid_sizes']}.",
    ]


def table1_frames(runs: pd.DataFrame, config: dict) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Long (one row per run) and wide (mean ± sd per grid x task, one column per head) frames,
    plus the notes that name the protocol's assumptions."""
    long = runs.sort_values(["grid", "task", "head", "seed"]).reset_index(drop=True)
    wide = mean_sd_table(long, ["grid", "task"], "head", "accuracy")
    wide["chance"] = [
        f"{100 / (g * g if t == 'location' else 10):.1f}"
        for g, t in zip(wide.grid, wide.task, strict=True)
    ]
    return long, wide, table1_notes(config)
