"""Top-1, Zhang consistency and exact-shift consistency of one Table 2 / Fig. S2 model."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.checkpoints import load_checkpoint
from chanpos.job import job
from chanpos.provenance import write_result
from chanpos.shift import evaluate_shift

seed = int(snakemake.wildcards.seed)
with job(snakemake, seed=seed) as ctx:
    model = load_checkpoint(snakemake.input.model)
    result = evaluate_shift(model, snakemake.params.root, snakemake.params.cfg, ctx["device"])
    write_result(
        snakemake.output[0],
        {"model": snakemake.wildcards.model, "seed": seed, **result},
        ctx["provenance"],
    )
