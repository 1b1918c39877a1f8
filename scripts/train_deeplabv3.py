"""Train the DeepLabv3 segmenter on Cityscapes-format data (mini preset)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.checkpoints import save_checkpoint
from chanpos.data.cityscapes import NUM_CLASSES
from chanpos.job import job
from chanpos.provenance import write_result
from chanpos.seg_attack import train_deeplabv3

arch, cfg = snakemake.params.arch, snakemake.params.cfg
with job(snakemake, seed=cfg["seed"]) as ctx:
    model, metrics = train_deeplabv3(snakemake.params.root, arch, cfg, ctx["device"])
    save_checkpoint(snakemake.output.model, model, "deeplabv3", num_classes=NUM_CLASSES, **arch)
    write_result(snakemake.output.metrics, {"source": "train", **metrics}, ctx["provenance"])
