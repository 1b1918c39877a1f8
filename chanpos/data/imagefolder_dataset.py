"""Reading the ImageNet folder layout (:mod:`chanpos.data.imagefolder`) with torchvision's
ImageFolder, images decoded as tensors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import Tensor
from torchvision.datasets import ImageFolder
from torchvision.datasets.folder import default_loader
from torchvision.io import ImageReadMode, decode_image


def decode_rgb(path: str) -> Tensor:
    """An image file as a uint8 (3, H, W) tensor, decoded by torchvision.io (any format it reads,
    by content; grey and CMYK JPEGs converted to RGB), faster than PIL plus a conversion.

    torchvision deprecates its decoders (0.29) in favour of TorchCodec, which this environment
    does not have; this function is the one place to switch.
    """
    return decode_image(path, mode=ImageReadMode.RGB)


def imagefolder_dataset(
    root: Path,
    split: str,
    transform: Callable | None = None,
    loader: Callable[[str], Any] = default_loader,
) -> ImageFolder:
    """``torchvision.datasets.ImageFolder(root/split)``, with a clear error when it is missing.

    Class indices follow the sorted folder names; empty class folders are allowed. ``loader``
    reads one image: a PIL image by default, a tensor with :func:`decode_rgb`.
    """
    folder = Path(root) / split
    if not folder.is_dir():
        raise FileNotFoundError(
            f"ImageNet split not found: expected the folder {folder}. ImageNet (ILSVRC2012) needs "
            "a login at https://image-net.org; download the train and val archives there and "
            f"place the images as {Path(root)}/train/<wnid>/*.JPEG and "
            f"{Path(root)}/val/<wnid>/*.JPEG (the val images reorganised into one folder per "
            "class, e.g. with the ILSVRC2012 devkit's ground truth or the valprep.sh script)."
        )
    # Empty class folders are kept so class indices agree between splits.
    return ImageFolder(str(folder), transform=transform, loader=loader, allow_empty=True)
