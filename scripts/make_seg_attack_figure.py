"""The segmentation attack's figures: mIoU vs N (main Sec. 4.2), Figs. S3 and S4."""

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.job import job
from chanpos.plots import save_figure
from chanpos.seg_attack import attack_figure, region_drop_figure

figure = snakemake.wildcards.figure
with job(snakemake):
    long = pd.read_csv(snakemake.input[0])
    if figure == "fig_seg_attack":
        fig, data = attack_figure(long)
    else:  # Fig. S3: right-specific channels; Fig. S4: left-specific channels
        fig, data = region_drop_figure(long, "right" if figure == "fig_s3" else "left")
    save_figure(fig, Path(snakemake.output[0]).with_suffix(""), data)
