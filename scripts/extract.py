"""Extract a downloaded archive into the dataset folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.download import extract
from chanpos.job import job

with job(snakemake):
    extract(Path(snakemake.input[0]), Path(snakemake.output[0]))
