"""Generate a Cityscapes-format tree of street scenes (mini preset)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.data.cityscapes import make_street_set, write_cityscapes
from chanpos.job import plain_job

cfg = snakemake.params.cfg
with plain_job(snakemake):
    splits = {
        split: make_street_set(cfg[f"{split}_size"], cfg["height"], cfg["width"], cfg["seed"] + k)
        for k, split in enumerate(("train", "val"))
    }
    write_cityscapes(Path(snakemake.output[0]), splits)
