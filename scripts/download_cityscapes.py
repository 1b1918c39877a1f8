"""Download Cityscapes' gtFine and leftImg8bit archives with cityscapesscripts; verify md5s."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.data.cityscapes import download_packages
from chanpos.job import plain_job

with plain_job(snakemake):
    download_packages(Path(snakemake.output[0]).parent)
