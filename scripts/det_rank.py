"""Rank a detector's neck channels by Eq. 2 (overall position score) on a CityPersons split."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.channels import rank, write_ranking
from chanpos.detect.attack import rank_scores
from chanpos.detect.mmdet_models import coco_dataset, load_detector
from chanpos.job import job
from chanpos.provenance import write_result
from chanpos.reports.table_s1 import LEVEL_ASSUMPTION

cfg = snakemake.params.cfg
with job(snakemake, seed=0) as ctx:
    model, mm = load_detector(snakemake.input.model)
    model.to(ctx["device"])
    dataset = coco_dataset(mm, snakemake.params.root, snakemake.input.coco, train=False)
    scores, shape = rank_scores(model, dataset, cfg["batch_size"], ctx["device"])
    order = rank(scores)
    write_ranking(snakemake.output.ranking, "overall", order)
    result = {
        "detector": snakemake.wildcards.detector,
        "split": cfg["rank_split"],
        "images": len(dataset),
        **shape,
        "definition": LEVEL_ASSUMPTION.format(split=cfg["rank_split"], **shape),
        "scores": scores.tolist(),
    }
    write_result(snakemake.output.summary, result, ctx["provenance"])
