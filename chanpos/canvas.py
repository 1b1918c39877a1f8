"""The grid canvas of main Sec. 3 (Fig. 1): one image pasted into one cell of a g x g grid.

As in the authors' code, images are normalised *before* pasting and the canvas is zeros, so the
background is the dataset-mean colour in pixel space. The cell index is ``row * g + col``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2023, 0.1994, 0.2010)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def prepare_images(
    images: np.ndarray, cell: int, mean: tuple[float, ...], std: tuple[float, ...]
) -> Tensor:
    """uint8 (N, H, W, 3) -> normalised float (N, 3, cell, cell), area-resized when needed."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255)
    if x.shape[-1] != cell:
        x = F.interpolate(x, size=(cell, cell), mode="area")
    m = torch.tensor(mean).view(1, 3, 1, 1)
    s = torch.tensor(std).view(1, 3, 1, 1)
    return (x - m) / s


def paste(images: Tensor, locations: Tensor, grid: int) -> Tensor:
    """Paste each (3, c, c) image into cell ``locations[i]`` of a zero (3, g*c, g*c) canvas."""
    n, ch, c, _ = images.shape
    canvas = images.new_zeros(n, ch, grid * c, grid * c)
    rows, cols = locations // grid, locations % grid
    for i in range(n):
        r, k = int(rows[i]) * c, int(cols[i]) * c
        canvas[i, :, r : r + c, k : k + c] = images[i]
    return canvas


def canvas_batches(
    images: Tensor,
    labels: Tensor,
    grid: int,
    batch_size: int,
    generator: torch.Generator,
    shuffle: bool = False,
    flip: bool = False,
) -> Iterator[tuple[Tensor, Tensor, Tensor]]:
    """Yield (canvas, location, label) batches with a fresh random cell for every sample."""
    n = images.shape[0]
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    locations = torch.randint(0, grid * grid, (n,), generator=generator)
    flips = torch.rand(n, generator=generator) < 0.5 if flip else torch.zeros(n, dtype=torch.bool)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        x = images[idx]
        x = torch.where(flips[idx].view(-1, 1, 1, 1), x.flip(-1), x)
        yield paste(x, locations[idx], grid), locations[idx], labels[idx]
