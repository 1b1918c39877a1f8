"""Cityscapes fine-annotation tree, generated (mini preset, without torch) and read (both presets,
by :mod:`chanpos.data.cityscapes_dataset`).

Layout under ``root``: ``leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png`` and
``gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png`` (8-bit label ids 0-33). The
reader maps label ids to the 19 train ids (255 = ignore), as the official ``labels.py`` does.

Generated street scenes (:func:`render_street`) put position into the labels as real ones do:
sky at the top, a road narrowing to a vanishing point, sidewalks and terrain beside it,
buildings or vegetation at the sides, cars on the road, people on the sidewalks, poles with
signs, and the ego vehicle's bonnet at the bottom. As in Cityscapes the camera is rigid and
drives on the right, so the layout is left-right asymmetric: the oncoming lane puts more road
left of the centre, the near sidewalk, facades, parked cars and most people are on the right.
Road and sidewalk share one grey surface, vegetation and terrain one green, an overcast sky the
buildings' grey: telling them apart takes where a pixel is, not only what it looks like.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from chanpos.atomic import atomic_dir
from chanpos.data.synthetic import finish_image
from chanpos.download import verify

# (name, label id, train id) of the official labels.py (license plate, id -1, is left out).
LABELS = [
    ("unlabeled", 0, 255),
    ("ego vehicle", 1, 255),
    ("rectification border", 2, 255),
    ("out of roi", 3, 255),
    ("static", 4, 255),
    ("dynamic", 5, 255),
    ("ground", 6, 255),
    ("road", 7, 0),
    ("sidewalk", 8, 1),
    ("parking", 9, 255),
    ("rail track", 10, 255),
    ("building", 11, 2),
    ("wall", 12, 3),
    ("fence", 13, 4),
    ("guard rail", 14, 255),
    ("bridge", 15, 255),
    ("tunnel", 16, 255),
    ("pole", 17, 5),
    ("polegroup", 18, 255),
    ("traffic light", 19, 6),
    ("traffic sign", 20, 7),
    ("vegetation", 21, 8),
    ("terrain", 22, 9),
    ("sky", 23, 10),
    ("person", 24, 11),
    ("rider", 25, 12),
    ("car", 26, 13),
    ("truck", 27, 14),
    ("bus", 28, 15),
    ("caravan", 29, 255),
    ("trailer", 30, 255),
    ("train", 31, 16),
    ("motorcycle", 32, 17),
    ("bicycle", 33, 18),
]
TRAIN_CLASSES = [name for name, _, train in sorted(LABELS, key=lambda r: r[2]) if train != 255]
NUM_CLASSES = len(TRAIN_CLASSES)  # 19
ID = {name: label_id for name, label_id, _ in LABELS}


def _id_to_train() -> np.ndarray:
    lut = np.full(256, 255, np.uint8)
    for _, label_id, train_id in LABELS:
        lut[label_id] = train_id
    lut.flags.writeable = False
    return lut


ID_TO_TRAIN = _id_to_train()  # 256-entry lookup table: label id -> train id (255 = ignore)
PACKAGES = {  # the official archives (cityscapes-dataset.com package ids 1 and 3) and md5s
    "gtFine_trainvaltest.zip": "4237c19de34c8a376e9ba46b495d6f66",
    "leftImg8bit_trainvaltest.zip": "0a6e97e94b616a514066c9e2adb0c97f",
}
SPLIT_CITIES = {"train": ("aachen", "bochum", "bremen"), "val": ("frankfurt", "lindau", "munster")}
HOWTO = (
    "Cityscapes needs a login: register at https://www.cityscapes-dataset.com, download "
    "gtFine_trainvaltest.zip and leftImg8bit_trainvaltest.zip, unzip both into <path> (so that "
    "<path>/leftImg8bit/val and <path>/gtFine/val exist) and set datasets.cityscapes.path to "
    "<path>; or set datasets.cityscapes.source to 'download' and export CITYSCAPES_USERNAME and "
    "CITYSCAPES_PASSWORD, and the workflow fetches both archives with cityscapesscripts' "
    "csDownload (tools/install.sh installs it)."
)


# ---------------------------------------------------------------- the official archives


def download_packages(dest: Path) -> None:
    """Fetch :data:`PACKAGES` into ``dest`` with cityscapesscripts' ``csDownload`` (credentials
    from CITYSCAPES_USERNAME / CITYSCAPES_PASSWORD) and check their pinned md5s."""
    missing = [name for name in PACKAGES if not (dest / name).exists()]
    if missing:
        if not (os.environ.get("CITYSCAPES_USERNAME") and os.environ.get("CITYSCAPES_PASSWORD")):
            raise RuntimeError("CITYSCAPES_USERNAME and CITYSCAPES_PASSWORD are not set. " + HOWTO)
        if shutil.which("csDownload") is None:
            raise RuntimeError("csDownload not found (run tools/install.sh). " + HOWTO)
        dest.mkdir(parents=True, exist_ok=True)
        # csDownload prompts for credentials unless it finds them in its user data dir
        # (appdirs: $XDG_DATA_HOME/cityscapesscripts/credentials.json): give it a private one.
        with tempfile.TemporaryDirectory() as home:
            store = Path(home, "cityscapesscripts")
            store.mkdir()
            credentials = {
                "username": os.environ["CITYSCAPES_USERNAME"],
                "password": os.environ["CITYSCAPES_PASSWORD"],
            }
            (store / "credentials.json").write_text(json.dumps(credentials))
            subprocess.run(
                ["csDownload", "-d", str(dest), *missing],
                check=True,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "XDG_DATA_HOME": home},
            )
    for name, md5 in PACKAGES.items():
        verify(dest / name, md5=md5)


def extract_packages(archives: list[Path], dest: Path) -> None:
    """Unzip ``archives`` into the new folder ``dest`` (renamed into place when complete)."""
    with atomic_dir(dest) as tmp:
        for archive in archives:
            with zipfile.ZipFile(archive) as z:
                z.extractall(tmp)  # zipfile drops absolute and ".." member paths


# ---------------------------------------------------------------- generated street scenes


def _smooth_noise(rng: np.random.Generator, h: int, w: int, amplitude: float) -> np.ndarray:
    """A smooth random field (h x w x 3): a 5 x 9 grid of normals, bilinearly upsampled."""
    coarse = rng.normal(0.0, amplitude, (5, 9, 3))
    py, px = np.linspace(0, 4, h), np.linspace(0, 8, w)
    iy, ix = np.minimum(py.astype(int), 3), np.minimum(px.astype(int), 7)
    wy, wx = (py - iy)[:, None, None], (px - ix)[None, :, None]
    rows = coarse[iy] * (1 - wy) + coarse[iy + 1] * wy
    return rows[:, ix] * (1 - wx) + rows[:, ix + 1] * wx


def render_street(
    rng: np.random.Generator, height: int, width: int, people: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """One street scene: image (H x W x 3 uint8) and Cityscapes label ids (H x W uint8).

    Coordinates are fractions of the image (y down, x right). The camera is fixed in a car
    driving in the right-hand lane, as in Cityscapes: the horizon and vanishing point barely
    move, and a ground point ``u`` lane widths to the right of the camera appears at
    ``x = vanish + t * lane * u`` (``t``: 0 at the horizon, 1 at the bottom row). So the road
    spans the ego lane, a parking strip on the right and the oncoming lane on the left; the near
    right sidewalk, parked cars and more people and buildings sit on the right, the far left
    sidewalk only shows above the bottom rows. Road and sidewalk share one grey surface,
    vegetation and terrain one green: which is which follows from where a pixel lies.
    ``people=False`` leaves the people out (a background for :mod:`chanpos.data.citypersons`).
    """
    y = (np.arange(height)[:, None] + 0.5) / height
    x = (np.arange(width)[None, :] + 0.5) / width
    aspect = width / height
    image = np.empty((height, width, 3))
    labels = np.empty((height, width), np.uint8)

    def paint(mask: np.ndarray, colour: np.ndarray, name: str) -> None:
        image[mask] = colour[mask] if colour.ndim == 3 else colour
        labels[mask] = ID[name]

    def noisy(base: np.ndarray, amplitude: float) -> np.ndarray:
        return base + _smooth_noise(rng, height, width, amplitude)

    horizon, vanish = rng.uniform(0.4, 0.46), rng.uniform(0.47, 0.53)  # a rigid camera mount
    lane = rng.uniform(0.3, 0.38)  # image width of one lane at the bottom row
    t = np.clip((y - horizon) / (1 - horizon), 0, None)  # 0 at the horizon, 1 at the bottom
    ground = y >= horizon
    u = (x - vanish) / np.maximum(t * lane, 1e-6)  # ground position in lanes, right positive
    near, far = 1.0, -1.5  # road edges: parking strip to the right, oncoming lane to the left
    walks = {1: rng.uniform(0.6, 1.2), -1: rng.uniform(0.5, 1.0)}  # sidewalk widths (lanes)
    edge = {1: near, -1: far}

    def x_at(u_: float, foot: float) -> float:
        return vanish + (foot - horizon) / (1 - horizon) * lane * u_

    def green() -> np.ndarray:  # vegetation and terrain look alike: only height tells them apart
        return noisy(np.array([0.25, 0.45, 0.18]) + rng.normal(0, 0.05, 3), 0.1)

    overcast = rng.random() < 0.5  # then the sky is as grey as the buildings
    sky = np.full(3, rng.uniform(0.55, 0.8)) if overcast else np.array([0.5, 0.66, 0.9])
    sky = sky + rng.normal(0, 0.04, 3)
    paint(np.ones_like(labels, bool), noisy(sky + 0.15 * y[..., None], 0.03), "sky")
    # Facades mostly line the near (right) side, trees the far one.
    kinds = {
        side: "building" if rng.random() < p else "vegetation" for side, p in ((1, 0.8), (-1, 0.4))
    }
    for side, kind in kinds.items():  # the near (right) side is closer: wider and taller
        reach = rng.uniform(0.1, 0.2) if side > 0 else rng.uniform(0.25, 0.4)
        inner = (x > vanish + reach) if side > 0 else (x < vanish - reach)
        if kind == "building":
            top = rng.uniform(0.0, 0.12) if side > 0 else rng.uniform(0.12, 0.3)
            base = rng.uniform(0.35, 0.7) * np.array([1.0, 0.95, 0.9]) + rng.normal(0, 0.03, 3)
            period = rng.uniform(0.03, 0.06, 2)
            windows = ((x % period[0]) < 0.55 * period[0]) & ((y % (2 * period[1])) < period[1])
            colour = noisy(base, 0.04) - 0.15 * windows[..., None]
        else:
            top = rng.uniform(0.1, 0.3) + 0.05 * np.sin(rng.uniform(8, 20) * x + rng.uniform(0, 7))
            colour = green()
        paint(inner & (y > top) & (y < horizon), colour, kind)

    # Road and sidewalks share one grey surface (a sidewalk may be a shade lighter or darker);
    # the dashed centre line between the ego and the oncoming lane is the only mark.
    grey = rng.uniform(0.3, 0.6)
    road = ground & (u > far) & (u < near)
    line = ground & (np.abs(u + 0.5) * t * lane < 0.003 + 0.006 * t)
    line &= np.sin(40 * t / (0.2 + t)) > 0
    paint(road, noisy(np.full(3, grey), 0.04) + 0.3 * (line & road)[..., None], "road")
    for side, kind in kinds.items():
        beside = ground & ~road & (np.sign(u) == side)
        sidewalk = beside & ((np.abs(u) < abs(edge[side]) + walks[side]) | (kind == "building"))
        paint(sidewalk, noisy(np.full(3, grey + rng.uniform(-0.05, 0.05)), 0.04), "sidewalk")
        paint(beside & ~sidewalk, green(), "terrain")

    def on_walk(side: int) -> float:  # a lateral position on a sidewalk
        return edge[side] + side * walks[side] * rng.uniform(0.15, 0.85)

    for side, count in ((1, rng.integers(0, 4)), (-1, rng.integers(0, 2))):  # poles, signs
        for _ in range(count):
            foot = rng.uniform(horizon + 0.05, 0.85)
            xc, half = x_at(edge[side] + side * 0.1, foot), max(0.6 / width, 0.003)
            top = foot - (foot - horizon + 0.05) * rng.uniform(1.5, 2.5)
            paint((np.abs(x - xc) < half) & (y > top) & (y < foot), np.full(3, 0.35), "pole")
            size = 3 * half
            sign = (np.abs(x - xc) < size) & (np.abs(y - top) < size * aspect)
            paint(sign, np.array(rng.choice([[0.9, 0.8, 0.1], [0.1, 0.3, 0.8]])), "traffic sign")

    # Cars, far ones first: parked along the right kerb, oncoming on the left, one ahead.
    cars = [(b, 0.75) for b in rng.uniform(horizon + 0.08, 0.92, rng.integers(0, 4))]
    cars += [(b, -1.0) for b in rng.uniform(horizon + 0.06, 0.8, rng.integers(0, 3))]
    cars += [(b, 0.0) for b in rng.uniform(horizon + 0.06, 0.7, rng.integers(0, 2))]
    for bottom, lateral in sorted(cars):
        scale = (bottom - horizon) / (1 - horizon) * lane
        half_w = max(scale * rng.uniform(0.3, 0.4), 0.004)
        h = 2 * half_w * aspect * rng.uniform(0.55, 0.75)
        xc = x_at(lateral + rng.uniform(-0.1, 0.1), bottom)
        body = (np.abs(x - xc) < half_w) & (y < bottom) & (y > bottom - h)
        glass = (y < bottom - 0.6 * h)[..., None]
        colour = np.where(glass, (0.15, 0.2, 0.3), rng.uniform(0.05, 0.95, 3))
        paint(body, np.broadcast_to(colour, image.shape), "car")

    # People: more, and nearer, on the right sidewalk.
    near_people = rng.uniform(horizon + 0.06, 0.95, rng.choice(4, p=[0.3, 0.3, 0.25, 0.15]))
    far_people = rng.uniform(horizon + 0.04, 0.7, rng.choice(3, p=[0.6, 0.3, 0.1]))
    people = [(f, 1) for f in near_people] + [(f, -1) for f in far_people] if people else []
    for foot, side in sorted(people):  # far first; legs apart, a shirt (striped or plain), a head
        h = (foot - horizon) * rng.uniform(0.9, 1.3)
        xc, rx = x_at(on_walk(side), foot), 0.16 * h / aspect
        v_ = (foot - y) / h  # person frame: v = 0 at the feet, 1 at the top
        u_ = (x - xc) / rx
        legs = (v_ > 0) & (v_ < 0.45) & (np.abs(u_) > 0.1) & (np.abs(u_) < 0.55)
        torso = (v_ >= 0.42) & (v_ < 0.8) & (np.abs(u_) < 0.8 - 0.3 * (v_ - 0.42))
        head = (u_ / 0.45) ** 2 + ((v_ - 0.89) / 0.1) ** 2 < 1
        shirt, trousers = rng.uniform(0.1, 1.0, 3), rng.uniform(0.0, 0.35, 3)
        stripes = (np.sin(v_ * rng.uniform(40, 80)) > 0) & (rng.random() < 0.5)
        colour = np.where(stripes[..., None], 1.0 - shirt, shirt)
        colour = np.where(legs[..., None], trousers, colour)
        colour = np.where(head[..., None], np.array([0.9, 0.7, 0.55]) * rng.uniform(0.5, 1), colour)
        paint(legs | torso | head, np.broadcast_to(colour, image.shape), "person")

    bonnet = y > 1 - rng.uniform(0.05, 0.1) + 0.04 * (2 * x - 1) ** 2
    paint(bonnet, np.array([0.12, 0.13, 0.16]) + rng.normal(0, 0.02, 3), "ego vehicle")
    return finish_image(rng, image), labels


def make_street_set(n: int, height: int, width: int, seed: int) -> list[tuple[np.ndarray, ...]]:
    """``n`` generated scenes as (image, label ids) pairs, fixed by ``seed``."""
    rng = np.random.default_rng(seed)
    return [render_street(rng, height, width) for _ in range(n)]


# ---------------------------------------------------------------- the on-disk tree


def write_cityscapes(root: Path, splits: dict[str, list[tuple[np.ndarray, np.ndarray]]]) -> None:
    """Write the Cityscapes tree at ``root`` from ``{split: [(image, label ids)]}``.

    Images of a split are spread over that split's cities (:data:`SPLIT_CITIES`; the real
    val cities for val), named ``<city>_<seq:06d>_000019``. The tree is built under a
    temporary name and renamed when complete.
    """
    with atomic_dir(Path(root)) as out:
        for split, pairs in splits.items():
            cities = SPLIT_CITIES.get(split, (split,))
            for i, (image, label_ids) in enumerate(pairs):
                city = cities[i * len(cities) // len(pairs)]
                stem = f"{city}_{i:06d}_000019"
                for sub, suffix, array in [
                    ("leftImg8bit", "leftImg8bit", image),
                    ("gtFine", "gtFine_labelIds", label_ids),
                ]:
                    folder = out / sub / split / city
                    folder.mkdir(parents=True, exist_ok=True)
                    Image.fromarray(array).save(folder / f"{stem}_{suffix}.png")
