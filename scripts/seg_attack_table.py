"""Every segmenter's attack in one long table (a ``model`` column first) and its runs' summaries."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.atomic import atomic_path
from chanpos.job import plain_job
from chanpos.provenance import write_result
from chanpos.reports.seg_attack import combine_attacks

with plain_job(snakemake) as ctx:
    runs = [json.loads(Path(p).read_text()) for p in snakemake.input.summary]
    long = combine_attacks(dict(zip(snakemake.params.models, snakemake.input.csv, strict=True)))
    with atomic_path(snakemake.output.csv) as tmp:
        long.to_csv(tmp, index=False)
    write_result(snakemake.output.summary, {"runs": runs}, ctx["provenance"])
