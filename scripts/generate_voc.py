"""Generate a PASCAL VOC 2012-format segmentation tree."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.data.synthetic import make_segmentation_set
from chanpos.data.voc import write_voc
from chanpos.job import plain_job

cfg = snakemake.params.cfg
with plain_job(snakemake):
    splits = {}
    for split, n, offset in [("train", cfg["train_size"], 0), ("val", cfg["val_size"], 1)]:
        images, masks = make_segmentation_set(n, cfg["image_size"], cfg["seed"] + offset)
        splits[split] = list(zip(images, masks, strict=False))
    write_voc(Path(snakemake.output[0]), splits)
