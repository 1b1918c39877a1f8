"""AugShift (main Sec. 4.1, Fig. 2): cross-entropy on two shifted crops plus their latent MSE.

Objective as reconstructed in NOTES.md 3.1 (lambda and the crop scheme are not published)::

    L = (CE(head(z1), y) + CE(head(z2), y)) / 2 + lambda * MSE(GAP(z1), GAP(z2)),  z_k = encode(x_k)

NOTES.md writes the two CE terms as a sum; here they are averaged, so that the CE gradient has
the scale of the one-crop baselines (the same code: one crop, no MSE term) and lambda alone sets
the weight of the MSE (up to weight decay, the sum is the mean at twice the learning rate and
half the lambda).

Crop schemes (:class:`ShiftCrops`):

* ``translate`` (default): one augmented view (RandomResizedCrop to ``view`` px, random flip),
  then ``crops`` windows of ``crop`` px at independent uniform offsets in ``[0, view - crop]``,
  i.e. translated copies of the same content, as in Zhang's evaluation geometry.
* ``random_resized``: ``crops`` independent RandomResizedCrop(``crop``) + flip views.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.transforms import v2 as T

from chanpos.consistency import crop_windows
from chanpos.encoders import normalise_batch
from chanpos.latent import LatentSplit, gap

SCHEMES = ("translate", "random_resized")


class ShiftCrops:
    """Training transform: a uint8 (3, H, W) image -> (crops, 3, crop, crop) uint8 crops of it.

    Normalisation is left to :class:`CropBatch`, which does it once per batch on its device.
    """

    def __init__(
        self,
        crops: int,
        crop: int,
        view: int,
        scheme: str = "translate",
        scale: tuple[float, float] = (0.08, 1.0),
    ) -> None:
        if scheme not in SCHEMES:
            raise ValueError(f"unknown crop scheme {scheme!r}; choose one of {SCHEMES}")
        self.crops, self.crop, self.view, self.scheme = crops, crop, view, scheme
        size = view if scheme == "translate" else crop
        self.augment = T.Compose(
            [T.RandomResizedCrop(size, scale=scale, antialias=True), T.RandomHorizontalFlip()]
        )

    def __call__(self, image: Tensor) -> Tensor:
        if self.scheme == "random_resized":
            return torch.stack([self.augment(image) for _ in range(self.crops)])
        x = self.augment(image)
        offsets = torch.randint(0, self.view - self.crop + 1, (self.crops, 2))
        return crop_windows(x.expand(self.crops, *x.shape), offsets, self.crop)


class CropBatch(nn.Module):
    """Runs a latent-split model on a (B, crops, C, H, W) batch as one (B * crops) batch.

    A uint8 batch is normalised (:func:`~chanpos.encoders.normalise_batch`) on its device first.
    Returns the logits (B * crops, K) and the pooled latents (B, crops, D), both float32. Inputs
    go channels_last (faster on CPU and GPU alike); on CUDA the model runs under bfloat16
    autocast (``amp``).
    """

    def __init__(self, model: LatentSplit, amp: bool = False) -> None:
        super().__init__()
        self.model = model
        self.amp = amp
        self.norm = normalise_batch()

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        b, n = x.shape[:2]
        x = self.norm(x.flatten(0, 1)).contiguous(memory_format=torch.channels_last)
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=self.amp):
            z = self.model.encode(x)
            logits = self.model.head(z)
        return logits.float(), gap(z).float().view(b, n, -1)


def latent_mse(pooled: Tensor) -> Tensor:
    """MSE between the pooled latents of the first two crops, (B, crops, D) -> scalar."""
    return F.mse_loss(pooled[:, 0], pooled[:, 1])


def augshift_loss(out: tuple[Tensor, Tensor], target: Tensor, lam: float) -> Tensor:
    """Cross-entropy averaged over the crops, plus ``lam`` times :func:`latent_mse` (when there
    are two or more crops and ``lam`` is not zero)."""
    logits, pooled = out
    loss = F.cross_entropy(logits, target.repeat_interleave(pooled.shape[1]))
    if pooled.shape[1] > 1 and lam:
        loss = loss + lam * latent_mse(pooled)
    return loss
