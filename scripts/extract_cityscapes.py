"""Unzip Cityscapes' archives into one tree (leftImg8bit/, gtFine/)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.data.cityscapes import extract_packages
from chanpos.job import plain_job

with plain_job(snakemake):
    extract_packages([Path(p) for p in snakemake.input], Path(snakemake.output[0]))
