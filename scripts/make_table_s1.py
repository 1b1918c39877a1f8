"""Table S1: MR^-2 per detector, baseline / random N / targeted N, beside the paper's values."""

import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.job import plain_job
from chanpos.reports.table_s1 import targeted_vs_random, wide_table
from chanpos.tables import write_table

with plain_job(snakemake):
    long = pd.concat([pd.read_csv(f) for f in snakemake.input.csv]).astype({"seed": "Int64"})
    runs = [json.loads(Path(f).read_text()) for f in snakemake.input.runs]
    ranks = [json.loads(Path(f).read_text()) for f in snakemake.input.rankings]
    notes = [
        "MR^-2 (log-average miss rate over FPPI 1e-2..1e0, CityPersons protocol) in %, lower "
        "is better; random: mean ± sd over seeds; '(paper)': the supplement's Table S1.",
    ]
    for run, rk in zip(runs, ranks, strict=True):
        notes.append(
            f"{run['detector']}: {run['n']} of {run['latent_channels']} neck channels zeroed "
            f"(random: seeds {run['seeds']}); {run['images']} val images. {rk['definition']}"
        )
    for detector, v in targeted_vs_random(long).items():
        rises = ", ".join(f"{r * 100:+.2f}" for r in v["random_rises"])
        verdict = "more than every random seed" if v["holds"] else "NOT more than every random seed"
        notes.append(
            f"{detector}, All: targeted zeroing raises MR^-2 by {v['targeted_rise'] * 100:+.2f} "
            f"points, random by {rises}: targeted {verdict}."
        )
    prov = runs[0]["provenance"] if runs else {}
    notes.append(
        f"config hash {prov.get('config_hash')}, git {prov.get('git_revision')}, "
        f"device {prov.get('device')}"
    )
    caption = "Table S1: zeroing position-encoding neck channels of pedestrian detectors"
    stem = Path(snakemake.output.csv).with_suffix("")
    write_table(long, wide_table(long), stem, caption, notes)
