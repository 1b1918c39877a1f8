"""Build mmdet 3 detectors from this project's config files."""

from __future__ import annotations

from pathlib import Path

from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import nn


def load_config(path: Path | str, overrides: dict | None = None) -> Config:
    """Read an mmdet config (its ``custom_imports`` are imported) and merge ``overrides``.

    ``overrides`` uses mmengine's dotted keys, e.g. ``{"model.backbone.init_cfg": None}``.
    """
    cfg = Config.fromfile(str(path))
    if overrides:
        cfg.merge_from_dict(overrides)
    return cfg


def build_detector(cfg: Config) -> nn.Module:
    """Build ``cfg.model`` through mmdet's registry (weights as initialised, not loaded)."""
    init_default_scope("mmdet")
    from mmdet.registry import MODELS

    return MODELS.build(cfg.model)
