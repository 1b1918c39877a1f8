"""Generate a CIFAR-10-format dataset (python batches) with learnable class structure."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.data.cifar import CIFAR10_LABEL_NAMES, write_cifar10
from chanpos.data.synthetic import make_classification_set
from chanpos.job import plain_job

cfg = snakemake.params.cfg
with plain_job(snakemake):
    train = make_classification_set(cfg["train_size"], 32, seed=cfg["seed"])
    test = make_classification_set(cfg["test_size"], 32, seed=cfg["seed"] + 1)
    write_cifar10(Path(snakemake.output[0]), train, test, CIFAR10_LABEL_NAMES)
