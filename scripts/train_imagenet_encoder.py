"""Train the ImageNet ResNet-18 classifier (mini preset's stand-in for published weights)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.checkpoints import save_checkpoint
from chanpos.encoders import train_classifier
from chanpos.job import job
from chanpos.provenance import write_result

cfg = snakemake.params.cfg
with job(snakemake, seed=cfg["seed"]) as ctx:
    model, metrics = train_classifier(Path(snakemake.params.root), cfg, ctx["device"])
    save_checkpoint(
        snakemake.output.model, model, "resnet18_classifier", num_classes=metrics["num_classes"]
    )
    write_result(snakemake.output.metrics, {"source": "trained", **metrics}, ctx["provenance"])
