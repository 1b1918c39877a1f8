"""Generate an ImageNet-format folder tree (train/val, one folder per class)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.data.imagefolder import synthetic_wnids, write_imagefolder
from chanpos.data.synthetic import make_classification_set
from chanpos.job import plain_job

cfg = snakemake.params.cfg
with plain_job(snakemake):
    k, size, root = cfg["num_classes"], cfg["image_size"], Path(snakemake.output[0])
    wnids = synthetic_wnids(k)
    for split, per_class, offset in [
        ("train", cfg["train_per_class"], 0),
        ("val", cfg["val_per_class"], 1),
    ]:
        images, labels = make_classification_set(per_class * k, size, cfg["seed"] + offset, k)
        write_imagefolder(root, split, images, labels, wnids)
