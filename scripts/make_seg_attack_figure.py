"""The segmentation attack's figures: mIoU vs N (main Sec. 4.2), Figs. S3 and S4."""

import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.job import plain_job
from chanpos.plots import save_figure
from chanpos.reports.seg_attack import (
    attack_figure,
    attack_table,
    drop_table,
    region_drop_figure,
    seg_attack_notes,
)
from chanpos.tables import provenance_lines, write_table

figure = snakemake.wildcards.figure
with plain_job(snakemake):
    long = pd.read_csv(snakemake.input.csv)
    if figure == "fig_seg_attack":
        fig, data = attack_figure(long)
        wide, caption = attack_table(data), "mIoU (%) with N latent channels zeroed"
    else:  # Fig. S3: right-specific channels; Fig. S4: left-specific channels
        side = "right" if figure == "fig_s3" else "left"
        fig, data = region_drop_figure(long, side)
        wide = drop_table(data)
        caption = f"relative mIoU drop (%) per half, top-N {side}-specific channels zeroed"
    stem = Path(snakemake.output.pdf).with_suffix("")
    save_figure(fig, stem, data)
    runs = json.loads(Path(snakemake.input.summary).read_text())["runs"]
    provs = [run["provenance"] for run in runs]
    notes = seg_attack_notes(snakemake.config) + provenance_lines(provs)
    write_table(data, wide, stem, f"{figure}: {caption}", notes, formats=("md", "html"))
