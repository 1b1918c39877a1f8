"""The latent split every model is seen through: ``encode(x) -> z`` and ``head(z) -> output``.

Channel ranking, zeroing, latent caching and the GAPNet/ShuffleNet readouts are written once
against this interface; each model family provides ``encode`` and ``head``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor
from tqdm import tqdm


@runtime_checkable
class LatentSplit(Protocol):
    """A model split at the tensor whose channels are studied."""

    def encode(self, x: Tensor) -> Tensor:
        """Map an input batch to the latent feature map ``z`` (B, C, H, W)."""

    def head(self, z: Tensor) -> Tensor:
        """Map the latent ``z`` to the model's output."""


def gap(z: Tensor | Sequence[Tensor]) -> Tensor:
    """Global average pooling over the spatial dimensions: (B, C, H, W) -> (B, C).

    A multi-level latent (a sequence of maps with the same channels, e.g. a detector neck's
    pyramid levels) gives the mean of its levels' GAPs, each level weighted equally.
    """
    if isinstance(z, (tuple, list)):
        return torch.stack([gap(level) for level in z]).mean(0)
    return z.mean(dim=(-2, -1))


@torch.no_grad()
def cache_latents(
    model: LatentSplit,
    batches: Iterable[tuple[Tensor, Tensor]],
    device: torch.device | str = "cpu",
    desc: str = "latents",
) -> tuple[Tensor, Tensor]:
    """Run ``model.encode`` once over ``batches`` and return (latents, targets) on the CPU."""
    latents, targets = [], []
    for x, y in tqdm(batches, desc=desc, leave=False):
        latents.append(model.encode(x.to(device)).cpu())
        targets.append(y)
    return torch.cat(latents), torch.cat(targets)
