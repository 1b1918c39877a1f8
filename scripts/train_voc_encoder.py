"""Train the ResNet-18 FCN segmenter on VOC-format data (Fig. S1's second encoder)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.checkpoints import load_checkpoint, save_checkpoint
from chanpos.data.voc import VOC_CLASSES
from chanpos.encoders import train_segmenter
from chanpos.job import job
from chanpos.provenance import write_result

cfg = snakemake.params.cfg
with job(snakemake, seed=cfg["seed"]) as ctx:
    init = load_checkpoint(snakemake.input.init) if snakemake.input.init else None
    model, metrics = train_segmenter(Path(snakemake.input.voc), cfg, ctx["device"], init)
    save_checkpoint(
        snakemake.output.model, model, "resnet18_segmenter", num_classes=len(VOC_CLASSES)
    )
    result = {"init": "imagenet_resnet18" if init is not None else "scratch", **metrics}
    write_result(snakemake.output.metrics, result, ctx["provenance"])
