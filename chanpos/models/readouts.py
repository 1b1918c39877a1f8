"""Readouts that decode a class from a latent feature map (main Sec. 3, supplement Eq. S1).

* :class:`GAPReadout` (GAPNet): a convolution maps ``z`` to one channel per class, then global
  average pooling gives the logits. Position can be read from *which* channel responds.
* :class:`ShuffleReadout` (PermuteNet / "ShuffleNet"): global average pooling, a random channel
  permutation drawn anew on every forward pass (one per batch, train and test, as the authors'
  code), then a linear layer. The channel ordering, and with it position, is destroyed.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from chanpos.latent import gap


class GAPReadout(nn.Module):
    """``logits = GAP(Conv_k(z))``; kernel 3 in Table 1 (authors' code), 1 in Fig. S1 (Eq. S1)."""

    def __init__(self, in_channels: int, num_classes: int, kernel_size: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, num_classes, kernel_size, padding=kernel_size // 2)

    def forward(self, z: Tensor) -> Tensor:
        return gap(self.conv(z))


class ShuffleReadout(nn.Module):
    """``logits = Linear(permute(GAP(z)))`` with a fresh permutation per forward pass."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_channels, num_classes)

    def forward(self, z: Tensor) -> Tensor:
        pooled = gap(z)
        perm = torch.randperm(pooled.shape[1], device=pooled.device)
        return self.linear(pooled[:, perm])


READOUTS = {"gapnet": GAPReadout, "permutenet": ShuffleReadout, "shufflenet": ShuffleReadout}


def build_readout(name: str, in_channels: int, num_classes: int, kernel_size: int = 1) -> nn.Module:
    """Build a readout by name: ``gapnet``, or ``permutenet``/``shufflenet`` (the same module)."""
    if name == "gapnet":
        return GAPReadout(in_channels, num_classes, kernel_size)
    if name in READOUTS:
        return ShuffleReadout(in_channels, num_classes)
    raise ValueError(f"unknown readout {name!r}; choose one of {sorted(READOUTS)}")
