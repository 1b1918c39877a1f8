"""Aggregate the Table 1 runs into table1.{csv,md,tex}."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.job import plain_job
from chanpos.reports.table1 import table1_frames
from chanpos.tables import collect_runs, provenance_lines, write_table

with plain_job(snakemake):
    runs, provs = collect_runs(snakemake.input, ["grid", "task", "head", "seed", "accuracy"])
    long, wide, notes = table1_frames(runs, snakemake.config)
    write_table(
        long,
        wide,
        Path(snakemake.output[0]).with_suffix(""),
        "Table 1: GAPNet vs PermuteNet accuracy (%) on the grid canvas, trained from scratch",
        notes + provenance_lines(provs),
    )
