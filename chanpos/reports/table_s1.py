"""Table S1 from the detector attacks: the table beside the paper's values, the verdicts, the
protocol's notes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

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
