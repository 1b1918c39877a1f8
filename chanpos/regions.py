"""The image regions the segmentation attack scores (main Sec. 4.2): names and columns."""

from __future__ import annotations

REGIONS = ("overall", "left", "right", "center")


def region_columns(width: int, region: str) -> slice:
    """Image columns of a region, as in the authors' attack: halves split at ``width // 2``;
    ``center`` drops a quarter of the width on each side (512 px of Cityscapes' 2048)."""
    half, quarter = width // 2, width // 4
    spans = {
        "overall": (0, width),
        "left": (0, half),
        "right": (half, width),
        "center": (quarter, width - quarter),
    }
    if region not in spans:
        raise ValueError(f"unknown region {region!r}; choose one of {REGIONS}")
    return slice(*spans[region])
