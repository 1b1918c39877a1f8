"""ImageNet folder layout: ``root/{train,val}/<wnid>/<wnid>_<i>.JPEG``, read by ImageFolder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from torch import Tensor
from torchvision.datasets import ImageFolder
from torchvision.datasets.folder import default_loader
from torchvision.io import ImageReadMode, decode_image

from chanpos.atomic import atomic_dir


def synthetic_wnids(num_classes: int) -> list[str]:
    """WordNet-id-looking class folder names ``n00000000``, ``n00000001``, ... (sorted)."""
    return [f"n{k:08d}" for k in range(num_classes)]


def write_imagefolder(
    root: Path, split: str, images: np.ndarray, labels: np.ndarray, class_ids: list[str]
) -> None:
    """Write ``images`` (N x H x W x 3 uint8) as JPEG under ``root/split/<wnid>/``.

    Image ``i`` of class ``k`` becomes ``<wnid>_<i>.JPEG`` with ``wnid = class_ids[k]``, ``i``
    counted within the class. JPEG quality is 95 without chroma subsampling (small images keep
    their colour edges). Every class gets a folder, even an empty one. The split folder is
    built under a temporary name and renamed when complete.
    """
    counts = dict.fromkeys(class_ids, 0)
    with atomic_dir(Path(root) / split) as out:
        for wnid in class_ids:
            (out / wnid).mkdir()
        for image, label in zip(images, labels, strict=True):
            wnid = class_ids[int(label)]
            path = out / wnid / f"{wnid}_{counts[wnid]}.JPEG"
            Image.fromarray(image).save(path, format="JPEG", quality=95, subsampling=0)
            counts[wnid] += 1


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
