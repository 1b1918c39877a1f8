"""Cache the frozen encoder's pooled latents of grid canvases (train and test)."""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))

from chanpos.atomic import atomic_path
from chanpos.checkpoints import load_checkpoint
from chanpos.data.cifar import read_cifar10
from chanpos.decode import canvas_latents
from chanpos.job import job

cfg = snakemake.params.cfg
with job(snakemake, seed=0) as ctx:
    encoder = load_checkpoint(snakemake.input.encoder).to(ctx["device"]).eval()
    root = Path(snakemake.input.cifar)
    cache = {}
    for split, n, seed in [("train", cfg["train_images"], 1), ("test", cfg["test_images"], 2)]:
        images, _ = read_cifar10(root, split)
        z, loc = canvas_latents(encoder, images[:n], cfg["grid"], cfg["cell"], seed, ctx["device"])
        cache[f"{split}_latents"], cache[f"{split}_locations"] = z, loc
    with atomic_path(snakemake.output[0]) as tmp:
        torch.save(cache, tmp)
