"""Top-1, Zhang consistency and exact-shift consistency of one Table 2 / Fig. S2 model loaded
from published weights (trained models are evaluated by their training job)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.job import job
from chanpos.shift import evaluate_checkpoint

seed = int(snakemake.wildcards.seed)
with job(snakemake, seed=seed) as ctx:
    evaluate_checkpoint(
        snakemake.input.model,
        snakemake.params.root,
        snakemake.wildcards.model,
        seed,
        snakemake.params.cfg,
        ctx["device"],
        snakemake.output[0],
        ctx["provenance"],
    )
