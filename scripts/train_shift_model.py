"""Train one Table 2 / Fig. S2 model (model and seed from the wildcards), then evaluate it;
resumes after a stop."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.job import job
from chanpos.shift import train_shift_model

if __name__ == "__main__":  # DDP workers import this module again
    seed = int(snakemake.wildcards.seed)
    with job(snakemake, seed=seed) as ctx:
        train_shift_model(
            snakemake.params.root,
            snakemake.wildcards.model,
            seed,
            snakemake.params.cfg,
            ctx["devices"],
            (
                snakemake.output.model,
                snakemake.output.metrics,
                snakemake.output.run,
                snakemake.params.resume,
            ),
            ctx["provenance"],
        )
