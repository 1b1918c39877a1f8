"""ImageNet folder layout: ``root/{train,val}/<wnid>/<wnid>_<i>.JPEG``, written here without torch
(the data-generation job imports no torch); :mod:`chanpos.data.imagefolder_dataset` reads it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

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
