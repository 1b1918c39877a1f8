"""Import torchvision's published ImageNet ResNet-18 weights (checksum pinned by the download)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.checkpoints import save_checkpoint
from chanpos.encoders import import_torchvision_resnet18
from chanpos.job import job
from chanpos.provenance import write_result

with job(snakemake) as ctx:
    model = import_torchvision_resnet18(Path(snakemake.input[0]))
    save_checkpoint(snakemake.output.model, model, "resnet18_classifier", num_classes=1000)
    result = {"source": "torchvision", "weights": Path(snakemake.input[0]).name}
    write_result(snakemake.output.metrics, result, ctx["provenance"])
