"""Seeds and threads, set once per job."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch; return a torch generator seeded the same way."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = False
    return torch.Generator().manual_seed(seed)


def set_threads(threads: int) -> None:
    """Use exactly ``threads`` CPU threads (the rule's ``threads:``), so runs are reproducible."""
    torch.set_num_threads(max(1, threads))
    os.environ["OMP_NUM_THREADS"] = str(max(1, threads))
