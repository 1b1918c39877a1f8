"""Reading a Cityscapes fine-annotation tree (:mod:`chanpos.data.cityscapes`) as a torch Dataset,
label ids mapped to the 19 train ids."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from chanpos.data.cityscapes import HOWTO, ID_TO_TRAIN
from chanpos.data.voc_dataset import to_tensors


class CityscapesSegmentation(Dataset):
    """A Cityscapes split with fine labels as train ids.

    Items are ``transform(image, mask)`` for PIL images (mask in mode "L", values = train ids,
    255 = ignore), or :func:`~chanpos.data.voc_dataset.to_tensors` of them when ``transform`` is
    None. ``names`` holds each item's ``<city>_<seq>_<frame>`` stem, in the (sorted) item order.
    """

    def __init__(
        self,
        root: Path | str,
        split: str = "val",
        transform: Callable[[Image.Image, Image.Image], tuple[Tensor, Tensor]] | None = None,
    ) -> None:
        self.root = Path(root)
        images = self.root / "leftImg8bit" / split
        if not images.is_dir() or not (self.root / "gtFine" / split).is_dir():
            raise FileNotFoundError(
                f"Cityscapes not found: expected {images} and {self.root / 'gtFine' / split}. "
                + HOWTO.replace("<path>", str(self.root))
            )
        self.split = split
        self.files = sorted(images.glob("*/*_leftImg8bit.png"))
        self.names = [f.name.removesuffix("_leftImg8bit.png") for f in self.files]
        self.transform = transform or to_tensors

    def __len__(self) -> int:
        return len(self.files)

    def label_path(self, index: int) -> Path:
        city = self.files[index].parent.name
        return self.root / "gtFine" / self.split / city / f"{self.names[index]}_gtFine_labelIds.png"

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        with Image.open(self.files[index]) as f:
            image = f.convert("RGB")
        with Image.open(self.label_path(index)) as f:
            mask = Image.fromarray(ID_TO_TRAIN[np.asarray(f)])
        return self.transform(image, mask)
