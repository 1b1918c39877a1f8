"""Procedural images with learnable class structure, used by the mini preset.

Classification images show one object from :data:`SHAPES` (random colour, scale, rotation and
a small position jitter) on a smooth, noisy random background. Segmentation scenes show 1-4
objects whose class fixes both the shape and the hue, on a textured background, with a
VOC-style void band (255) along object boundaries. Everything is drawn from a
:class:`numpy.random.Generator`, so a seed fixes the pixels exactly.
"""

from __future__ import annotations

import colorsys

import numpy as np

SHAPES = (
    "disc",
    "square",
    "triangle",
    "cross",
    "ring",
    "hbars",
    "vbars",
    "diamond",
    "checker",
    "x",
)
VOID = 255

_SUPERSAMPLE = 2  # anti-aliased edges: average a 2x2 grid of samples per pixel
# Rotation range per shape (centre, half-width) in degrees, chosen so families stay apart:
# square [-15, 15] vs diamond [30, 60], cross [-15, 15] vs x [30, 60].
_ROTATION = {
    "disc": (0, 180),
    "square": (0, 15),
    "triangle": (0, 180),
    "cross": (0, 15),
    "ring": (0, 180),
    "hbars": (0, 15),
    "vbars": (0, 15),
    "diamond": (0, 15),
    "checker": (0, 15),
    "x": (45, 15),
}


def _shape_mask(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Membership of object-frame points (extent about [-1, 1]^2, v pointing up) in ``shape``."""
    au, av = np.abs(u), np.abs(v)
    box = (au < 0.9) & (av < 0.9)
    if shape == "disc":
        return np.hypot(u, v) < 1
    if shape == "square":
        return (au < 0.8) & (av < 0.8)
    if shape == "triangle":
        return (v > -0.5) & (np.sqrt(3) * u + v < 1) & (-np.sqrt(3) * u + v < 1)
    if shape in ("cross", "x"):
        return ((au < 0.3) & (av < 0.95)) | ((av < 0.3) & (au < 0.95))
    if shape == "ring":
        r = np.hypot(u, v)
        return (r > 0.55) & (r < 1)
    if shape == "hbars":
        return box & (np.floor((v + 0.9) / 0.36) % 2 == 0)
    if shape == "vbars":
        return box & (np.floor((u + 0.9) / 0.36) % 2 == 0)
    if shape == "diamond":
        return au + av < 1
    if shape == "checker":
        return box & ((np.floor((u + 0.9) / 0.6) + np.floor((v + 0.9) / 0.6)) % 2 == 0)
    raise ValueError(f"unknown shape {shape!r}")


def _coverage(
    rng: np.random.Generator, shape: str, size: int, center: np.ndarray, radius: float
) -> np.ndarray:
    """Fraction of each of size x size pixels covered by a randomly rotated, stretched shape."""
    mid, half = _ROTATION[shape]
    angle = np.deg2rad(mid + rng.uniform(-half, half))
    aspect = rng.uniform(0.85, 1.15)
    t = (np.arange(size * _SUPERSAMPLE) + 0.5) / _SUPERSAMPLE
    y, x = np.meshgrid(t, t, indexing="ij")
    dx, dy = (x - center[0]) / radius, (center[1] - y) / radius
    c, s = np.cos(angle), np.sin(angle)
    u = (c * dx + s * dy) / aspect
    v = (-s * dx + c * dy) * aspect
    inside = _shape_mask(shape, u, v).astype(np.float32)
    return inside.reshape(size, _SUPERSAMPLE, size, _SUPERSAMPLE).mean(axis=(1, 3))


def _background(
    rng: np.random.Generator, size: int, base: np.ndarray, amplitude: float
) -> np.ndarray:
    """A smooth random colour field around ``base`` (size x size x 3, float in about [0, 1])."""
    coarse = rng.normal(0.0, amplitude, (5, 5, 3))
    # Bilinear upsampling of the coarse 5x5 grid to size x size.
    pos = np.linspace(0, 4, size)
    i0 = np.minimum(pos.astype(int), 3)
    w = pos - i0
    rows = coarse[i0] * (1 - w[:, None, None]) + coarse[i0 + 1] * w[:, None, None]
    field = rows[:, i0] * (1 - w[None, :, None]) + rows[:, i0 + 1] * w[None, :, None]
    return base + field


def finish_image(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Add pixel noise to an image in [0, 1] and quantise it to uint8 (generators' last step)."""
    image = image + rng.normal(0.0, 0.04, image.shape)
    return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)


def render_object(rng: np.random.Generator, label: int, size: int) -> np.ndarray:
    """Render one object of class ``label`` (index into :data:`SHAPES`) as size x size x 3 uint8.

    Colour, scale, aspect, rotation (within the family's range) and a jitter of up to 10% of
    the size around the centre are random; foreground and background luminance differ by at
    least 0.25, so the shape is always visible.
    """
    if not 0 <= label < len(SHAPES):
        raise ValueError(f"label must be in [0, {len(SHAPES)}), got {label}")
    bg_lum = rng.uniform(0.15, 0.85)
    fg_lum = bg_lum + rng.choice([-1, 1]) * rng.uniform(0.25, 0.5)
    if not 0.0 <= fg_lum <= 1.0:
        fg_lum = 2 * bg_lum - fg_lum  # mirror to the side that fits
    background = _background(rng, size, bg_lum + rng.normal(0, 0.12, 3), 0.12)
    foreground = np.clip(fg_lum + rng.normal(0, 0.2, 3), 0, 1)
    center = size / 2 + rng.uniform(-0.1, 0.1, 2) * size
    radius = rng.uniform(0.25, 0.4) * size
    alpha = _coverage(rng, SHAPES[label], size, center, radius)[..., None]
    return finish_image(rng, background * (1 - alpha) + foreground * alpha)


def make_classification_set(
    n: int, size: int, seed: int, num_classes: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``n`` images (N x size x size x 3 uint8) and balanced int64 labels.

    Class ``k`` is shape ``SHAPES[k]``; the labels are a shuffled ``arange(n) % num_classes``.
    """
    if not 1 <= num_classes <= len(SHAPES):
        raise ValueError(f"num_classes must be in [1, {len(SHAPES)}], got {num_classes}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % num_classes).astype(np.int64)
    images = np.zeros((n, size, size, 3), np.uint8)
    for i, k in enumerate(labels):
        images[i] = render_object(rng, int(k), size)
    return images, labels


def _class_colour(label: int, num_classes: int, rng: np.random.Generator) -> np.ndarray:
    """RGB colour (float, [0, 1]) of scene class ``label``: its hue is fixed by the class."""
    hue = (label - 1) / (num_classes - 1) + rng.uniform(-0.015, 0.015)
    return np.array(colorsys.hsv_to_rgb(hue % 1.0, rng.uniform(0.6, 1.0), rng.uniform(0.55, 1.0)))


def render_scene(
    rng: np.random.Generator, size: int, num_classes: int = 21
) -> tuple[np.ndarray, np.ndarray]:
    """Render a VOC-like scene: image (size x size x 3 uint8) and mask (size x size uint8).

    The background (class 0) is a smooth random texture. 1-4 objects of classes
    ``1..num_classes-1`` are painted back to front; class ``c`` has shape
    ``SHAPES[(c - 1) % len(SHAPES)]`` and a hue fixed by ``c``. The mask holds class ids and
    :data:`VOID` (255) on the pixels that an object boundary crosses (a band about 1 px wide),
    like the void outlines of VOC.
    """
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    image = _background(rng, size, rng.uniform(0.3, 0.7) + rng.normal(0, 0.03, 3), 0.1)
    mask = np.zeros((size, size), np.uint8)
    mixed = np.zeros((size, size), bool)  # pixels that show more than one class
    for _ in range(rng.integers(1, 5)):
        label = int(rng.integers(1, num_classes))
        radius = rng.uniform(0.15, 0.3) * size
        center = rng.uniform(radius, size - radius, 2)
        alpha = _coverage(rng, SHAPES[(label - 1) % len(SHAPES)], size, center, radius)
        colour = _class_colour(label, num_classes, rng)
        image = image * (1 - alpha[..., None]) + colour * alpha[..., None]
        mask[alpha >= 0.5] = label
        mixed = (mixed & (alpha < 1)) | ((alpha > 0) & (alpha < 1))
    mask[mixed] = VOID
    return finish_image(rng, image), mask


def make_segmentation_set(
    n: int, size: int, seed: int, num_classes: int = 21
) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``n`` scenes: images (N x size x size x 3 uint8), masks (N x size x size uint8)."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, size, size, 3), np.uint8)
    masks = np.zeros((n, size, size), np.uint8)
    for i in range(n):
        images[i], masks[i] = render_scene(rng, size, num_classes)
    return images, masks
