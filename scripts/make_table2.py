"""Aggregate the shift runs into table2.{csv,md,tex}."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.job import plain_job
from chanpos.reports.shift import table2_frames
from chanpos.tables import collect_runs, provenance_lines, write_table

with plain_job(snakemake):
    runs, provs = collect_runs(snakemake.input, ["model", "seed", "top1", "consistency"])
    long, wide, notes = table2_frames(runs, snakemake.config["shift"])
    write_table(
        long,
        wide,
        Path(snakemake.output[0]).with_suffix(""),
        "Table 2: ImageNet-format val top-1 and shift consistency (%)",
        notes + provenance_lines(provs),
    )
