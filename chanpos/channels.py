"""Position-encoding channels (the paper's Eq. 2) and channel zeroing, against the latent split.

For an image ``x``, ``d(x) = GAP(encode(x)) - GAP(encode(hflip(x)))`` per latent channel. A
channel whose pooled response changes when the same content is mirrored encodes where things
are. Scores over an image set D:

* overall:  ``s_c = mean_D |d_c(x)|`` (the authors' ``absolute_difference`` ranking);
* side:     ``r_c = mean_D o(x) d_c(x)``, ``o(x)`` = +1 when the image's content of interest lies
  on its left, -1 when on its right (the authors' ``signed_difference`` region-specific ranking
  is ``mean_D d_c(x)``, i.e. ``o = +1`` throughout, on a set whose sides are not documented).
  ``o(x) d(x)`` compares whichever of x and hflip(x) has the content on the left with the other,
  so high ``r_c`` means "fires more with that content on the left" (left-specific) and low
  ``r_c`` "on the right" (right-specific).

Channels are ranked by descending score. Zeroing sets a channel's whole spatial map to 0 before
the head. Every model family reuses this through its ``encode``/``head``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from chanpos.atomic import atomic_write_text
from chanpos.latent import LatentSplit, gap


@torch.no_grad()
def flip_differences(
    model: LatentSplit, images: Iterable[Tensor], device: torch.device | str = "cpu"
) -> Tensor:
    """``GAP(encode(x)) - GAP(encode(hflip(x)))`` per image, as an (N, C) tensor on the CPU."""
    out = []
    for x in tqdm(images, desc="flip differences", leave=False):
        x = x.to(device)
        out.append((gap(model.encode(x)) - gap(model.encode(x.flip(-1)))).cpu())
    return torch.cat(out)


def overall_scores(diff: Tensor) -> Tensor:
    """Eq. 2: mean absolute flip difference per channel over the images (rows) of ``diff``."""
    return diff.abs().mean(0)


def side_scores(diff: Tensor, sides: Tensor) -> Tensor:
    """Region-specific Eq. 2: mean of ``sides * diff`` per channel over the images whose ``sides``
    entry is +1 (content on the left) or -1 (on the right); 0 leaves an image out. High: left-
    specific, low: right-specific."""
    used = sides != 0
    return (diff[used] * sides[used, None].to(diff.dtype)).mean(0)


def rank(scores: Tensor) -> list[int]:
    """Channel indices by descending score (ties keep index order)."""
    return torch.argsort(scores, descending=True, stable=True).tolist()


def random_channels(num_channels: int, seed: int) -> list[int]:
    """A random order of all channels; its first N are the random baseline's N channels.

    One permutation per seed, so the random sets are nested in N like the ranked ones.
    """
    return torch.randperm(num_channels, generator=torch.Generator().manual_seed(seed)).tolist()


def zero_channels(z: Tensor, channels: Sequence[int]) -> Tensor:
    """A copy of the latent ``z`` (B, C, H, W) with the whole maps of ``channels`` set to 0."""
    z = z.clone()
    z[:, list(channels)] = 0
    return z


def write_ranking(path: Path | str, key: str, order: Sequence[int]) -> None:
    """Write a ranking in the authors' JSON shape: ``{key: [channel, ...]}``."""
    atomic_write_text(path, json.dumps({key: [int(c) for c in order]}))


def read_ranking(path: Path | str) -> list[int]:
    """The channel order of a one-key ranking JSON (ours or the authors')."""
    (order,) = json.loads(Path(path).read_text()).values()
    return [int(c) for c in order]


def compare_rankings(ours: Sequence[int], theirs: Sequence[int], top: int = 100) -> dict:
    """Spearman correlation of two full channel orders and the overlap of their top ``top``."""
    if sorted(ours) != sorted(theirs):
        raise ValueError("the rankings do not order the same channels")
    pos_ours = np.argsort(np.asarray(ours))  # channel -> its rank
    pos_theirs = np.argsort(np.asarray(theirs))
    spearman = float(np.corrcoef(pos_ours, pos_theirs)[0, 1])
    overlap = len(set(ours[:top]) & set(theirs[:top]))
    return {"spearman": spearman, f"top{top}_overlap": overlap}
