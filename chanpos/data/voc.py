"""PASCAL VOC 2012 segmentation tree, written (mini preset, without torch) and read (both presets,
by :mod:`chanpos.data.voc_dataset`).

Layout under ``root/VOCdevkit/VOC2012/``: ``JPEGImages/<id>.jpg``, ``SegmentationClass/<id>.png``
(mode "P" with :data:`VOC_PALETTE`; pixel values are class ids, 255 is void) and
``ImageSets/Segmentation/<split>.txt`` listing the ids of each split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from chanpos.atomic import atomic_dir

VOC2012_URL = "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar"
VOC2012_MD5 = "6cd6e144f989b92b3379bac3b3de84fd"
VOC_BASE = Path("VOCdevkit", "VOC2012")
VOC_CLASSES = [
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
]


def _voc_palette() -> np.ndarray:
    """The VOC colormap: the bits of the index are interleaved into R, G, B from the top bit."""
    palette = np.zeros((256, 3), np.uint8)
    for index in range(256):
        c, rgb = index, [0, 0, 0]
        for bit in range(7, -1, -1):
            for channel in range(3):
                rgb[channel] |= ((c >> channel) & 1) << bit
            c >>= 3
        palette[index] = rgb
    palette.flags.writeable = False
    return palette


VOC_PALETTE = _voc_palette()  # 256 x 3 uint8; 0 black, 1 (128, 0, 0), 255 (224, 224, 192)


def write_voc(root: Path, splits: dict[str, list[tuple[np.ndarray, np.ndarray]]]) -> None:
    """Write ``root/VOCdevkit/VOC2012`` from ``{split: [(image HxWx3 uint8, mask HxW uint8)]}``.

    Ids run ``2007_000000``, ``2007_000001``, ... over the splits in order. When both ``train``
    and ``val`` are given, ``trainval.txt`` lists both, as in VOC. Images are JPEG (quality 95,
    no chroma subsampling);
    masks are palette PNGs. The tree is built under a temporary name and renamed when complete.
    """
    with atomic_dir(Path(root) / VOC_BASE) as out:
        for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
            (out / sub).mkdir(parents=True)
        ids: dict[str, list[str]] = {}
        count = 0
        for split, pairs in splits.items():
            ids[split] = []
            for image, mask in pairs:
                name = f"2007_{count:06d}"
                jpeg = out / "JPEGImages" / f"{name}.jpg"
                Image.fromarray(image).save(jpeg, quality=95, subsampling=0)
                png = Image.fromarray(np.asarray(mask, np.uint8))
                png.putpalette(VOC_PALETTE.ravel().tolist())  # mode "L" becomes "P"
                png.save(out / "SegmentationClass" / f"{name}.png")
                ids[split].append(name)
                count += 1
        if "train" in ids and "val" in ids and "trainval" not in ids:
            ids["trainval"] = ids["train"] + ids["val"]
        for split, names in ids.items():
            (out / "ImageSets" / "Segmentation" / f"{split}.txt").write_text(
                "".join(f"{n}\n" for n in names)
            )
