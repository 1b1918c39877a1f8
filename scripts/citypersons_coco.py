"""Convert a CityPersons split to the COCO-style JSON mmdet and the MR^-2 metric read."""

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.data.citypersons import write_coco
from chanpos.job import plain_job

with plain_job(snakemake):
    coco = write_coco(snakemake.params.root, snakemake.wildcards.split, snakemake.output[0])
    labels = {}
    for a in coco["annotations"]:
        labels[a["label"]] = labels.get(a["label"], 0) + 1
    logging.info("%d images, objects per label %s", len(coco["images"]), labels)
