"""Convert and import Pedestron's CityPersons checkpoint for a detector's config (paper preset)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.detect.mmdet_models import import_pedestron
from chanpos.job import job
from chanpos.provenance import write_result

cfg = snakemake.params.cfg
with job(snakemake) as ctx:
    info = import_pedestron(
        Path(snakemake.scriptdir).parent / cfg["config"],
        cfg,
        snakemake.output.model,
        snakemake.wildcards.detector,
    )
    write_result(snakemake.output.metrics, info, ctx["provenance"])
