"""Fig. S2: consistency vs pixel shift, one line per model, seeds as dots and a ± sd band."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.job import plain_job
from chanpos.plots import save_figure
from chanpos.reports.shift import assumptions, fig_s2_frame, fig_s2_table, plot_fig_s2
from chanpos.tables import collect_runs, provenance_lines, write_table

with plain_job(snakemake):
    runs, provs = collect_runs(snakemake.input, ["model", "seed", "shift_consistency"])
    data = fig_s2_frame(runs)
    cfg = snakemake.config["shift"]
    stem = Path(snakemake.output.pdf).with_suffix("")
    save_figure(plot_fig_s2(data, cfg), stem, data)
    write_table(
        data,
        fig_s2_table(data, cfg),
        stem,
        "Fig. S2: consistency (%) vs pixel shift (columns, px)",
        assumptions(cfg) + provenance_lines(provs),
        formats=("md", "html"),
    )
