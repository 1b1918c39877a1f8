"""Reading a PASCAL VOC 2012 segmentation tree (:mod:`chanpos.data.voc`) as a torch Dataset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from chanpos.data.voc import VOC2012_MD5, VOC2012_URL, VOC_BASE


def to_tensors(image: Image.Image, mask: Image.Image) -> tuple[Tensor, Tensor]:
    """Image to a 3 x H x W float tensor in [0, 1]; mask to an H x W int64 tensor of class ids."""
    pixels = torch.from_numpy(np.array(image.convert("RGB"), np.uint8))
    return pixels.permute(2, 0, 1).float().div(255), torch.from_numpy(np.array(mask, np.int64))


class VOCSegmentation(Dataset):
    """VOC 2012 segmentation split under ``root/VOCdevkit/VOC2012``.

    Items are ``transform(image, mask)`` for PIL images (mask in mode "P", values = class ids),
    or :func:`to_tensors` of them when ``transform`` is None.
    """

    def __init__(
        self,
        root: Path,
        split: str = "train",
        transform: Callable[[Image.Image, Image.Image], tuple[Tensor, Tensor]] | None = None,
    ) -> None:
        self.base = Path(root) / VOC_BASE
        if not self.base.is_dir():
            raise FileNotFoundError(
                f"PASCAL VOC 2012 not found: expected the folder {self.base}. Download "
                f"{VOC2012_URL} (md5 {VOC2012_MD5}) and extract it into {Path(root)}, so that "
                f"{self.base}/ImageSets/Segmentation/{split}.txt exists."
            )
        self.ids = (self.base / "ImageSets" / "Segmentation" / f"{split}.txt").read_text().split()
        self.transform = transform or to_tensors

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        name = self.ids[index]
        with Image.open(self.base / "JPEGImages" / f"{name}.jpg") as f:
            image = f.convert("RGB")
        with Image.open(self.base / "SegmentationClass" / f"{name}.png") as f:
            f.load()
            mask = f.copy()
        return self.transform(image, mask)
