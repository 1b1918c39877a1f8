"""Import published ImageNet weights (torchvision or antialiased-cnns) as a Table 2 model."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.checkpoints import save_checkpoint
from chanpos.job import job
from chanpos.models.shift_resnet import import_published
from chanpos.provenance import write_result
from chanpos.shift_spec import MODELS

with job(snakemake) as ctx:
    name, cfg = snakemake.wildcards.model, snakemake.params.cfg
    weights = snakemake.params.weights
    meta = {"resnet": cfg["arch"], "filter_size": MODELS[name].filter_size}
    model, digest = import_published(Path(snakemake.input[0]), weights["sha256"], **meta)
    save_checkpoint(snakemake.output.model, model, "shift_resnet", **meta, num_classes=1000)
    result = {"model": name, "source": "published", "url": weights["url"], "sha256": digest}
    write_result(snakemake.output.metrics, {**result, **meta}, ctx["provenance"])
