"""Shift consistency (Table 2, Fig. S2): how often a classifier's prediction survives a shift.

Both protocols take a batch of square views (the val image resized and centre-cropped to
``view`` px), cut two ``crop`` px windows from each and count the images whose two argmax
predictions agree.

* :func:`zhang_offsets` (Table 2; Zhang, ICML 2019, ``main.py -es``): both windows at
  independent uniform offsets in ``[0, max_offset)`` per axis (view 256, crop 224, 32 offsets).
* :func:`shift_offsets` (Fig. S2): windows exactly ``shift`` px apart along one axis, chosen at
  random (horizontal or vertical); the first window is uniform among the positions where both fit.

Offsets are drawn per image from a generator seeded by ``seed + pass`` (Zhang draws one pair per
batch of 8; the expectation is the same, the variance lower).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import torch
from torch import Tensor, nn

Offsets = tuple[Tensor, Tensor]  # (n, 2) (top, left) of the first and of the second window
Sampler = Callable[[int, torch.Generator], Offsets]
K = TypeVar("K")


def crop_windows(x: Tensor, offsets: Tensor, size: int) -> Tensor:
    """Cut ``x[i, :, top:top+size, left:left+size]`` for each image ``i`` at ``offsets[i]``."""
    return torch.stack(
        [
            img[:, t : t + size, s : s + size]
            for img, (t, s) in zip(x, offsets.tolist(), strict=True)
        ]
    )


def zhang_offsets(max_offset: int) -> Sampler:
    """Two independent uniform offsets in ``[0, max_offset)`` per axis."""

    def sample(n: int, gen: torch.Generator) -> Offsets:
        return (
            torch.randint(0, max_offset, (n, 2), generator=gen),
            torch.randint(0, max_offset, (n, 2), generator=gen),
        )

    return sample


def shift_offsets(extent: int, shift: int) -> Sampler:
    """Offset pairs exactly ``shift`` px apart along a random axis, both within ``[0, extent]``.

    ``extent`` is the view size minus the crop size (the largest offset).
    """
    if not 0 < shift <= extent:
        raise ValueError(f"shift must be in [1, {extent}] for this view and crop, got {shift}")

    def sample(n: int, gen: torch.Generator) -> Offsets:
        along = torch.randint(0, extent - shift + 1, (n,), generator=gen)
        across = torch.randint(0, extent + 1, (n,), generator=gen)
        vertical = (torch.rand(n, generator=gen) < 0.5)[:, None]
        first = torch.where(
            vertical, torch.stack([along, across], 1), torch.stack([across, along], 1)
        )
        step = torch.where(vertical, torch.tensor([shift, 0]), torch.tensor([0, shift]))
        return first, first + step

    return sample


@torch.no_grad()
def consistency(
    model: nn.Module,
    views: Iterable[tuple[Tensor, Tensor]],
    crop: int,
    samplers: Mapping[K, Sampler],
    passes: int,
    seed: int,
    device: torch.device | str = "cpu",
) -> dict[K, list[float]]:
    """Per sampler, the fraction of images whose two windows get the same argmax, per pass.

    ``views`` yields (view, label) batches; labels are not used. One pass over the data serves
    every sampler and pass.
    """
    model.eval()
    gens = {k: [torch.Generator().manual_seed(seed + p) for p in range(passes)] for k in samplers}
    agree = {k: [0] * passes for k in samplers}
    count = 0
    for x, _ in views:
        for k, sample in samplers.items():
            for p, gen in enumerate(gens[k]):
                first, second = sample(len(x), gen)
                pred1 = model(crop_windows(x, first, crop).to(device)).argmax(1)
                pred2 = model(crop_windows(x, second, crop).to(device)).argmax(1)
                agree[k][p] += int((pred1 == pred2).sum())
        count += len(x)
    return {k: [a / max(count, 1) for a in agree[k]] for k in samplers}
