"""Generate a CityPersons-format tree of street scenes with pedestrians (mini preset)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.data.citypersons import make_citypersons_set, write_citypersons
from chanpos.job import plain_job

cfg = snakemake.params.cfg
with plain_job(snakemake):
    splits = {
        split: make_citypersons_set(
            cfg[f"{split}_size"], cfg["height"], cfg["width"], cfg, cfg["seed"] + k
        )
        for k, split in enumerate(("train", "val"))
    }
    write_citypersons(Path(snakemake.output[0]), splits)
