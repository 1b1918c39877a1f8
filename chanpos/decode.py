"""Supplement S1 / Fig. S1: decode absolute location from a *frozen* encoder.

Latents of grid canvases are computed once per encoder (:func:`canvas_latents`); only a readout
is trained on them (:func:`fit_readout`): GAPNet (1x1 conv then GAP, Eq. S1) or ShuffleNet (GAP,
a channel permutation redrawn every forward pass, then a linear layer), at train and test.

Both readouts see ``z`` only through ``GAP(z)``: a 1x1 convolution commutes with spatial averaging,
``GAP(Conv1x1(z)) = Conv1x1(GAP(z))``, so the cache holds the pooled latents as (N, C, 1, 1) maps.
This is exact, not an approximation, and keeps the paper preset's cache small.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from chanpos.canvas import IMAGENET_MEAN, IMAGENET_STD, canvas_batches, prepare_images
from chanpos.latent import LatentSplit, cache_latents
from chanpos.models.readouts import build_readout
from chanpos.train import accuracy, train_epochs


def canvas_latents(
    encoder: LatentSplit,
    images: np.ndarray,
    grid: int,
    cell: int,
    seed: int,
    device: torch.device,
    batch_size: int = 64,
) -> tuple[Tensor, Tensor]:
    """Latents ``encode(canvas)`` and cell indices for each image pasted at a random cell."""
    x = prepare_images(images, cell, IMAGENET_MEAN, IMAGENET_STD)
    labels = torch.zeros(len(x), dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    batches = ((c, loc) for c, loc, _ in canvas_batches(x, labels, grid, batch_size, gen))
    z, locations = cache_latents(encoder, batches, device, desc="canvas latents")
    return z.mean(dim=(-2, -1), keepdim=True), locations


def _batches(z: Tensor, y: Tensor, batch_size: int, gen: torch.Generator | None):
    order = torch.randperm(len(z), generator=gen) if gen is not None else torch.arange(len(z))
    for start in range(0, len(z), batch_size):
        idx = order[start : start + batch_size]
        yield z[idx], y[idx]


def fit_readout(
    readout: str,
    train: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    num_classes: int,
    seed: int,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 48,
) -> float:
    """Train a readout on cached latents; return its test accuracy."""
    torch.manual_seed(seed)
    head = build_readout(readout, train[0].shape[1], num_classes, kernel_size=1)
    gen = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(head.parameters(), lr=lr, betas=(0.5, 0.999))
    device = torch.device("cpu")
    train_epochs(
        head, lambda _e: _batches(*train, batch_size, gen), optimizer, epochs, device, desc=readout
    )
    return accuracy(head, _batches(*test, batch_size, None), device)
