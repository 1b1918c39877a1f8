"""Zero a detector's top-N Eq. 2 neck channels (or N random ones); CityPersons MR^-2 per setup."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.atomic import atomic_path
from chanpos.channels import read_ranking
from chanpos.data.citypersons import coco_to_annotations
from chanpos.detect.attack import attack, attack_variants, miss_rate_rows
from chanpos.detect.mmdet_models import coco_dataset, load_detector
from chanpos.job import job
from chanpos.provenance import write_result

cfg, n = snakemake.params.cfg, snakemake.params.n
detector = snakemake.wildcards.detector
with job(snakemake, seed=0) as ctx:
    model, mm = load_detector(snakemake.input.model)
    model.to(ctx["device"])
    order = read_ranking(snakemake.input.ranking)
    if n > len(order):
        raise ValueError(f"detectors.{detector}.n: {n} is more than the {len(order)} channels")
    dataset = coco_dataset(mm, snakemake.params.root, snakemake.input.coco, train=False)
    variants = attack_variants(order, n, cfg["seeds"], len(order))
    dets = attack(model, dataset, variants, cfg["batch_size"], ctx["device"])
    annotations = coco_to_annotations(json.loads(Path(snakemake.input.coco).read_text()))
    long = miss_rate_rows(detector, annotations, dets)
    with atomic_path(snakemake.output.csv) as tmp:
        long.to_csv(tmp, index=False)
    result = {
        "detector": detector,
        "images": len(dataset),
        "latent_channels": len(order),
        "n": n,
        "seeds": cfg["seeds"],
        "zeroed": {f"{v}{'' if s is None else s}": c for (v, s), c in variants.items()},
        "detections": {f"{v}{'' if s is None else s}": len(d) for (v, s), d in dets.items()},
    }
    write_result(snakemake.output.summary, result, ctx["provenance"])
