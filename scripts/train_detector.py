"""Train a pedestrian detector from its mmdet config on CityPersons train (mini preset)."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.detect.mmdet_models import (
    build_detector,
    coco_dataset,
    load_config,
    save_detector,
    train_detector,
)
from chanpos.job import job
from chanpos.provenance import write_result

cfg = snakemake.params.cfg
with job(snakemake, seed=cfg["train"]["seed"]) as ctx:
    mm = load_config(Path(snakemake.scriptdir).parent / cfg["config"])
    model = build_detector(mm)
    dataset = coco_dataset(mm, snakemake.params.root, snakemake.input.coco, train=True)
    start = time.time()
    losses = train_detector(model, dataset, cfg["train"], ctx["device"])
    seconds = time.time() - start
    save_detector(snakemake.output.model, model.cpu(), mm, detector=snakemake.wildcards.detector)
    result = {
        "detector": snakemake.wildcards.detector,
        "config": cfg["config"],
        "train": cfg["train"],
        "train_images": len(dataset),
        "loss": losses,
        "seconds": seconds,
        "seconds_per_step": seconds / cfg["train"]["iters"],
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    write_result(snakemake.output.metrics, result, ctx["provenance"])
