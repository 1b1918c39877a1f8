"""Fig. S1: location accuracy of GAPNet vs ShuffleNet readouts on frozen encoders."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.job import job
from chanpos.plots import grouped_bars, save_figure
from chanpos.tables import collect_runs

grid = snakemake.config["fig_s1"]["grid"]
with job(snakemake):
    runs, _ = collect_runs(snakemake.input, ["encoder", "readout", "seed", "accuracy"])
    fig = grouped_bars(
        runs,
        group="encoder",
        hue="readout",
        value="accuracy",
        ylabel="location accuracy (%)",
        title=f"Decoding location from frozen encoders ({grid}x{grid} grid)",
        chance=1 / grid**2,
    )
    save_figure(fig, Path(snakemake.output[0]).with_suffix(""), runs)
