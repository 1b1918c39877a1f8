"""Fig. S1: location accuracy of GAPNet vs ShuffleNet readouts on frozen encoders."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.job import plain_job
from chanpos.plots import grouped_bars, save_figure
from chanpos.reports.fig_s1 import fig_s1_frame, fig_s1_notes
from chanpos.tables import collect_runs, provenance_lines, write_table

grid = snakemake.config["fig_s1"]["grid"]
title = f"Decoding location from frozen encoders ({grid}x{grid} grid)"
with plain_job(snakemake):
    runs, provs = collect_runs(snakemake.input, ["encoder", "readout", "seed", "accuracy"])
    fig = grouped_bars(
        runs,
        group="encoder",
        hue="readout",
        value="accuracy",
        ylabel="location accuracy (%)",
        title=title,
        chance=1 / grid**2,
    )
    stem = Path(snakemake.output.pdf).with_suffix("")
    save_figure(fig, stem, runs)
    write_table(
        runs,
        fig_s1_frame(runs, grid),
        stem,
        f"Fig. S1: {title}, accuracy (%)",
        fig_s1_notes(snakemake.config) + provenance_lines(provs),
        formats=("md", "html"),
    )
