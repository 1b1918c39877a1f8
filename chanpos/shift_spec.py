"""Table 2's models and Fig. S2's view size: what the training code (:mod:`chanpos.shift`) and
the report (:mod:`chanpos.reports.shift`) share. Imports neither torch nor matplotlib, so that
neither kind of job loads what only the other needs.

The models (:data:`MODELS`): the plain ResNet ("resnet50"), Zhang's BlurPool-k2 ResNet
("blurpool_k2"), and each trained with AugShift. The ResNet depth is ``shift.arch`` in config
(ResNet-50 in the paper preset); the model names stay those of the paper's table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelSpec:
    """One Table 2 row: BlurPool filter size (1 = none) and whether AugShift trains it."""

    label: str
    filter_size: int
    augshift: bool


MODELS = {
    "resnet50": ModelSpec("{arch}", 1, False),
    "blurpool_k2": ModelSpec("{arch} + BlurPool-k2", 2, False),
    "augshift": ModelSpec("AugShift ({arch})", 1, True),
    "augshift_blurpool_k2": ModelSpec("AugShift + BlurPool-k2 ({arch})", 2, True),
}


def arch_label(arch: str) -> str:
    """``resnet50`` -> ``ResNet-50``."""
    return "ResNet-" + arch.removeprefix("resnet")


def model_label(name: str, arch: str) -> str:
    """The model's display name with the configured depth, e.g. ``ResNet-18 + BlurPool-k2``."""
    return MODELS[name].label.format(arch=arch_label(arch))


def fig_view(cfg: dict[str, Any]) -> int:
    """Fig. S2's view size: the crop plus the largest shift, so every shifted pair fits."""
    return cfg["crop"] + max(cfg["eval"]["shifts"])
