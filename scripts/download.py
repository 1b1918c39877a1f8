"""Download one file and verify its pinned checksum."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.download import fetch
from chanpos.job import job

with job(snakemake):
    spec = dict(snakemake.params.spec)
    fetch(spec.pop("url"), Path(snakemake.output[0]), **spec)
