"""Import a converted (mmdet 3) Pedestron checkpoint for a detector's config (paper preset)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.detect.mmdet_models import import_checkpoint
from chanpos.job import job
from chanpos.provenance import write_result

cfg = snakemake.params.cfg
with job(snakemake) as ctx:
    info = import_checkpoint(
        Path(snakemake.scriptdir).parent / cfg["config"],
        cfg.get("checkpoint") or "",
        snakemake.output.model,
        snakemake.wildcards.detector,
    )
    write_result(snakemake.output.metrics, info, ctx["provenance"])
