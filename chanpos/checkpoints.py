"""Model checkpoints as plain state dicts plus metadata, loadable with ``weights_only=True``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from chanpos.atomic import atomic_path
from chanpos.models.deeplab import DeepLabV3
from chanpos.models.mmseg_deeplab import MMSegDeepLabV3
from chanpos.models.resnet import ResNetClassifier, ResNetSegmenter
from chanpos.models.shift_resnet import ShiftResNet

ARCHS = {
    "resnet18_classifier": ResNetClassifier,
    "resnet18_segmenter": ResNetSegmenter,
    "deeplabv3": DeepLabV3,  # Sec. 4.2: meta = num_classes, encoders.deeplabv3_cityscapes.arch
    "mmseg_deeplabv3": MMSegDeepLabV3,  # Sec. 4.2, source mmseg: meta = config (mmseg's model)
    "shift_resnet": ShiftResNet,  # Table 2 / Fig. S2: meta = resnet, filter_size, num_classes
}


class CheckpointError(RuntimeError):
    """A checkpoint file that is not in the format the workflow writes."""


def save_checkpoint(path: Path | str, model: nn.Module, arch: str, **meta: Any) -> None:
    """Save ``model``'s state dict with the arch name and constructor arguments, atomically."""
    with atomic_path(path) as tmp:
        torch.save({"arch": arch, "meta": meta, "state_dict": model.state_dict()}, tmp)


def load_checkpoint(path: Path | str) -> nn.Module:
    """Rebuild the model a checkpoint was saved from and load its weights."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise CheckpointError(f"{path}: not a loadable chanpos checkpoint ({err})") from err
    if not isinstance(blob, dict) or blob.get("arch") not in ARCHS:
        raise CheckpointError(
            f"{path}: expected a chanpos checkpoint with 'arch' in {sorted(ARCHS)}"
        )
    model = ARCHS[blob["arch"]](**blob["meta"])
    model.load_state_dict(blob["state_dict"])
    return model
