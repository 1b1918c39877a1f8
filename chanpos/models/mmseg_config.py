"""An mmseg config read as plain data: where it is, its ``model`` section, its network in words.

Imports neither torch nor mmseg (mmengine's ``Config`` only), so the workflow's parse and the
report jobs can read a config cheaply; :mod:`chanpos.models.mmseg_deeplab` builds the model.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

EXAMPLE = "deeplabv3/deeplabv3_r50-d8_4xb2-80k_cityscapes-512x1024.py"


def config_file(name: str) -> Path:
    """The path of mmseg config ``name`` (e.g. ``EXAMPLE``) in the installed package's configs."""
    spec = importlib.util.find_spec("mmseg")  # finds the package without importing it
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("mmsegmentation is not installed (see tools/install.sh)")
    root = Path(spec.origin).parent / ".mim" / "configs"
    path = root / name
    if not path.is_file():
        raise FileNotFoundError(f"no mmseg config {name!r} in {root} (e.g. {EXAMPLE!r})")
    return path


def model_config(name: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``model`` section of mmseg config ``name`` as a plain dict, with mmengine dotted-key
    ``overrides`` (e.g. ``{"model.backbone.depth": 18}``) merged in and no pretrained weights."""
    from mmengine.config import Config

    cfg = Config.fromfile(config_file(name))
    if overrides:
        cfg.merge_from_dict(dict(overrides))
    return {**cfg.model.to_dict(), "pretrained": None}


def output_stride(config: Mapping[str, Any]) -> int:
    """Input pixels per latent pixel: the ResNet stem's 4 times the stages' strides."""
    return 4 * math.prod(config["backbone"].get("strides", (1, 2, 2, 2)))


def describe(config: Mapping[str, Any]) -> str:
    """The network in words, for the outputs' notes."""
    backbone, decode = config["backbone"], config["decode_head"]
    return (
        f"mmsegmentation DeepLabV3, {backbone['type']}-{backbone['depth']} (stage dilations "
        f"{tuple(backbone.get('dilations', (1, 1, 1, 1)))}), latent = {decode['in_channels']} "
        f"channels of the last stage, output stride {output_stride(config)}, zero padding, "
        f"ASPP dilations {tuple(decode.get('dilations', (1, 6, 12, 18)))}"
    )
