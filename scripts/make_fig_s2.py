"""Fig. S2: consistency vs pixel shift, one line per model, seeds as dots and a ± sd band."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.job import job
from chanpos.plots import save_figure
from chanpos.shift import fig_s2_frame, plot_fig_s2
from chanpos.tables import collect_runs

with job(snakemake):
    runs, _ = collect_runs(snakemake.input, ["model", "seed", "shift_consistency"])
    data = fig_s2_frame(runs)
    cfg = snakemake.config["shift"]
    fig = plot_fig_s2(data, cfg)
    save_figure(fig, Path(snakemake.output[0]).with_suffix(""), data)
