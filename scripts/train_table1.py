"""Train and test one Table 1 network (grid, task, head, seed from the wildcards)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.data.cifar import read_cifar10
from chanpos.job import job
from chanpos.location import LocationRun, train_and_test
from chanpos.provenance import write_result

wc, cfg = snakemake.wildcards, snakemake.params.cfg
run = LocationRun(
    grid=int(wc.grid),
    task=wc.task,
    head=wc.head,
    seed=int(wc.seed),
    width=cfg["width"],
    cell=cfg["cell"],
    epochs=cfg["epochs"][wc.task],
    batch_size=cfg["batch_size"],
    lr=cfg["lr"],
    test_passes=cfg["test_passes"],
)
with job(snakemake, seed=run.seed) as ctx:
    root = Path(snakemake.input[0])
    result = train_and_test(
        run, read_cifar10(root, "train"), read_cifar10(root, "test"), ctx["device"]
    )
    fields = {"grid": run.grid, "task": run.task, "head": run.head, "seed": run.seed}
    write_result(snakemake.output[0], {**fields, **result}, ctx["provenance"])
