"""CityPersons: generated (mini preset), read and converted to COCO (both presets).

On disk, as Cityscapes distributes it (``gtBbox_cityPersons_trainval.zip`` beside
``leftImg8bit_trainvaltest.zip``):

* ``leftImg8bit/<split>/<city>/<name>_leftImg8bit.png``
* ``gtBboxCityPersons/<split>/<city>/<name>_gtBboxCityPersons.json``:
  ``{"imgHeight", "imgWidth", "objects": [{"instanceId", "label", "bbox", "bboxVis"}]}``, boxes
  as ``[x, y, w, h]``; labels :data:`chanpos.mr.LABELS` (only ``pedestrian`` is a regular ground
  truth, the others are ignore regions).

:func:`to_coco` is the one converter from that tree to the COCO-style JSON that both mmdet's
``CocoDataset`` (training, inference) and :func:`coco_to_annotations` -> :func:`chanpos.mr.evaluate`
read: non-pedestrian labels become ``iscrowd`` (mmdet's ignore flag), each annotation keeps its
CityPersons ``label`` and ``vis_bbox`` so the metric sees exactly the original objects.

Generated scenes (:func:`render_scene`): a Cityscapes-like street without people
(:func:`chanpos.data.cityscapes.render_street`) with pedestrian figures pasted in. Heights are
drawn from three bands so that every evaluation setup has members (20-50 px: only *All*;
50-75 px: *Small*; above: *Reasonable*); some pedestrians stand behind an occluder covering the
lower part of their box (visible fraction 0.2-0.65: *Heavy*; 0.65-0.95: partial). Boxes have the
CityPersons aspect ratio (width = 0.41 height). Each scene may also hold a "person group"
(two or three overlapping figures, one box) and an "ignore" region (a figure printed on a
poster board). Pedestrians' footprints never overlap, so a box's visible part is exact.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from chanpos.atomic import atomic_dir, atomic_write_text
from chanpos.data.cityscapes import SPLIT_CITIES, render_street

ASPECT = 0.41  # CityPersons full boxes: width = 0.41 * height
ANNOTATIONS = "gtBboxCityPersons"
HOWTO = (
    "CityPersons needs a Cityscapes login: register at https://www.cityscapes-dataset.com, "
    "download leftImg8bit_trainvaltest.zip and gtBbox_cityPersons_trainval.zip, unzip both into "
    "<path> (so that <path>/leftImg8bit/val and <path>/gtBboxCityPersons/val exist) and set "
    "datasets.citypersons.path to <path>."
)

Object = dict[str, Any]  # one CityPersons object: label, bbox, bboxVis (and instanceId)


# ---------------------------------------------------------------- generated scenes


def _draw_figure(
    rng: np.random.Generator, image: np.ndarray, box: tuple[float, ...], alpha: float = 1.0
) -> None:
    """Paint a pedestrian (legs, shirt, head) filling ``box`` = (x, y, w, h) in pixels."""
    x0, y0, w, h = box
    hh, ww = image.shape[:2]
    ys, xs = np.mgrid[0:hh, 0:ww] + 0.5
    v = (y0 + h - ys) / h  # 0 at the feet, 1 at the top of the head
    u = (xs - (x0 + w / 2)) / (w / 2)
    legs = (v > 0) & (v < 0.45) & (np.abs(u) > 0.1) & (np.abs(u) < 0.6)
    torso = (v >= 0.42) & (v < 0.8) & (np.abs(u) < 0.95 - 0.35 * (v - 0.42))
    head = (u / 0.45) ** 2 + ((v - 0.9) / 0.1) ** 2 < 1
    shirt, trousers = rng.uniform(0.1, 1.0, 3), rng.uniform(0.0, 0.35, 3)
    stripes = (np.sin(v * rng.uniform(40, 80)) > 0) & (rng.random() < 0.5)
    colour = np.where(stripes[..., None], 1.0 - shirt, shirt)
    colour = np.where(legs[..., None], trousers, colour)
    colour = np.where(head[..., None], np.array([0.9, 0.7, 0.55]) * rng.uniform(0.5, 1), colour)
    mask = legs | torso | head
    image[mask] = (1 - alpha) * image[mask] + alpha * colour[mask]


def _overlaps(a: tuple[float, ...], others: list[tuple[float, ...]]) -> bool:
    return any(
        a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]
        for b in others
    )


def _place(
    rng: np.random.Generator, h: float, height: int, width: int, taken: list, spread: float = 1.0
) -> tuple[float, float] | None:
    """A top-left corner for an ``h`` px tall figure (footprint ``spread`` x its box) that
    overlaps no footprint in ``taken``, or None after 30 tries."""
    w = ASPECT * h
    for _ in range(30):
        x = rng.uniform(0, width - w)
        y = rng.uniform(max(0.0, 0.42 * height - 0.6 * h), height - h)  # feet below the horizon
        pad = (spread - 1) * w / 2
        if not _overlaps((x - pad, y, w + 2 * pad, h), taken):
            return x, y
    return None


def render_scene(
    rng: np.random.Generator, height: int, width: int, cfg: Mapping[str, Any]
) -> tuple[np.ndarray, list[Object]]:
    """One street scene (H x W x 3 uint8) and its CityPersons objects.

    ``cfg``: ``pedestrians`` [min, max] per scene; ``height_bands`` [[lo, hi], ...] in px and
    ``band_weights``; ``occluded`` (probability) and ``heavy`` (probability that an occluded
    pedestrian is heavily occluded); ``group`` and ``poster`` (probabilities of a person group
    and an ignore region per scene).
    """
    background, _ = render_street(rng, height, width, people=False)
    image = background.astype(float) / 255
    objects: list[Object] = []
    taken: list[tuple[float, ...]] = []
    bands = np.asarray(cfg["height_bands"], dtype=float)
    weights = np.asarray(cfg["band_weights"], dtype=float)
    lo, hi = cfg["pedestrians"]
    for _ in range(rng.integers(lo, hi + 1)):
        band = bands[rng.choice(len(bands), p=weights / weights.sum())]
        h = float(np.clip(rng.uniform(*band), 1, height - 1))
        w = ASPECT * h
        occluded = rng.random() < cfg["occluded"]
        spread = 1.6 if occluded else 1.0
        corner = _place(rng, h, height, width, taken, spread)
        if corner is None:
            continue
        x, y = corner
        _draw_figure(rng, image, (x, y, w, h))
        vis = 1.0
        if occluded:  # a box (car, bin, fence) in front of the lower part of the figure
            vis = rng.uniform(0.2, 0.65) if rng.random() < cfg["heavy"] else rng.uniform(0.65, 0.95)
            top = y + vis * h
            ox0, ox1 = int(round(x - 0.3 * w)), int(round(x + 1.3 * w))
            colour = rng.uniform(0.05, 0.95, 3) + rng.normal(0, 0.03, (height, width, 3))
            bottom = min(height, int(round(y + 1.1 * h)))
            rows = slice(int(round(top)), bottom)
            image[rows, max(ox0, 0) : max(ox1, 0)] = colour[rows, max(ox0, 0) : max(ox1, 0)]
            vis = (round(top) - y) / h  # the pixel rows that stay visible
        taken.append((x - (spread - 1) * w / 2, y, spread * w, 1.1 * h))
        box = [round(x, 2), round(y, 2), round(w, 2), round(h, 2)]
        vis_box = [*box[:3], round(vis * h, 2)]
        objects.append({"label": "pedestrian", "bbox": box, "bboxVis": vis_box})
    for label, p in (("person group", cfg["group"]), ("ignore", cfg["poster"])):
        if rng.random() >= p:
            continue
        h = float(rng.uniform(30, min(80, height - 1)))
        n = 3 if label == "person group" else 1
        gw = ASPECT * h * (1 + 0.6 * (n - 1))
        corner = _place(rng, h, height, width, taken, gw / (ASPECT * h) * 1.0)
        if corner is None:
            continue
        x, y = corner
        x -= (gw - ASPECT * h) / 2
        if label == "ignore":  # a figure printed on a flat board: person-like, not a person
            board = (slice(int(y), int(y + h)), slice(max(int(x - 2), 0), int(x + gw + 2)))
            image[board] = rng.uniform(0.6, 0.95, 3)
            _draw_figure(rng, image, (x, y, gw, h), alpha=0.5)
        else:
            for k in range(n):
                _draw_figure(rng, image, (x + 0.6 * ASPECT * h * k, y, ASPECT * h, h))
        taken.append((x, y, gw, h))
        box = [round(x, 2), round(y, 2), round(gw, 2), round(h, 2)]
        objects.append({"label": label, "bbox": box, "bboxVis": box})
    for i, o in enumerate(objects):
        o["instanceId"] = i
    pixels = np.clip(np.rint((image + rng.normal(0.0, 0.02, image.shape)) * 255), 0, 255)
    return pixels.astype(np.uint8), objects


def make_citypersons_set(
    n: int, height: int, width: int, cfg: Mapping[str, Any], seed: int
) -> list[tuple[np.ndarray, list[Object]]]:
    """``n`` generated scenes as (image, objects) pairs, fixed by ``seed``."""
    rng = np.random.default_rng(seed)
    return [render_scene(rng, height, width, cfg) for _ in range(n)]


def write_citypersons(root: Path, splits: Mapping[str, list[tuple[np.ndarray, list]]]) -> None:
    """Write the CityPersons tree at ``root`` (built under a temporary name, then renamed)."""
    with atomic_dir(Path(root)) as out:
        for split, pairs in splits.items():
            cities = SPLIT_CITIES.get(split, (split,))
            for i, (image, objects) in enumerate(pairs):
                city = cities[i * len(cities) // len(pairs)]
                stem = f"{city}_{i:06d}_000019"
                for sub in ("leftImg8bit", ANNOTATIONS):
                    (out / sub / split / city).mkdir(parents=True, exist_ok=True)
                Image.fromarray(image).save(
                    out / "leftImg8bit" / split / city / f"{stem}_leftImg8bit.png"
                )
                ann = {"imgHeight": image.shape[0], "imgWidth": image.shape[1], "objects": objects}
                path = out / ANNOTATIONS / split / city / f"{stem}_{ANNOTATIONS}.json"
                path.write_text(json.dumps(ann))


# ---------------------------------------------------------------- reading and converting


def read_split(root: Path | str, split: str) -> dict[str, dict[str, Any]]:
    """``{name: annotation}`` of a split, in sorted file order; a clear error if it is missing."""
    root = Path(root)
    folders = [root / "leftImg8bit" / split, root / ANNOTATIONS / split]
    if not all(f.is_dir() for f in folders):
        raise FileNotFoundError(
            f"CityPersons not found: expected {folders[0]} and {folders[1]}. "
            + HOWTO.replace("<path>", str(root))
        )
    suffix = f"_{ANNOTATIONS}.json"
    return {
        f.name.removesuffix(suffix): json.loads(f.read_text())
        for f in sorted(folders[1].glob(f"*/*{suffix}"))
    }


def to_coco(root: Path | str, split: str) -> dict[str, Any]:
    """The one converter: a split's CityPersons annotations as a COCO-style dict.

    Images are numbered from 1 in sorted name order, ``file_name`` relative to ``root``. Every
    object becomes an annotation of category 1 (``person``) carrying its CityPersons ``label``,
    ``bbox`` and ``vis_bbox``; non-pedestrians are ``iscrowd`` = 1 (mmdet's ignore flag).
    """
    images, annotations = [], []
    for image_id, (name, ann) in enumerate(read_split(root, split).items(), start=1):
        city = name.split("_")[0]
        images.append(
            {
                "id": image_id,
                "file_name": f"leftImg8bit/{split}/{city}/{name}_leftImg8bit.png",
                "height": ann["imgHeight"],
                "width": ann["imgWidth"],
                "name": name,
            }
        )
        for o in ann["objects"]:
            x, y, w, h = map(float, o["bbox"])
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": 1,
                    "bbox": [x, y, w, h],
                    "vis_bbox": [float(v) for v in o["bboxVis"]],
                    "area": w * h,
                    "iscrowd": int(o["label"] != "pedestrian"),
                    "label": o["label"],
                }
            )
    categories = [{"id": 1, "name": "person"}]
    return {"images": images, "annotations": annotations, "categories": categories}


def write_coco(root: Path | str, split: str, path: Path | str) -> dict[str, Any]:
    """:func:`to_coco` written to ``path`` (atomically); returns it."""
    coco = to_coco(root, split)
    atomic_write_text(path, json.dumps(coco))
    return coco


def coco_to_annotations(coco: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    """``{image id: {"objects": [...]}}`` for :func:`chanpos.mr.evaluate`, in image order."""
    out: dict[int, dict[str, Any]] = {im["id"]: {"objects": []} for im in coco["images"]}
    for a in coco["annotations"]:
        out[a["image_id"]]["objects"].append(
            {"label": a["label"], "bbox": a["bbox"], "bboxVis": a["vis_bbox"]}
        )
    return out
