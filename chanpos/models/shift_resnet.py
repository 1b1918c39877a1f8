"""ImageNet ResNets for Table 2 / Fig. S2, plain (torchvision) or anti-aliased (antialiased-cnns).

:class:`ShiftResNet` puts either library's ResNet behind the latent split: ``encode`` = stem to
layer4, ``head`` = fc on the global average pool. ``filter_size`` 1 builds torchvision's ResNet;
2 or more builds Zhang (2019)'s BlurPool ResNet from the ``antialiased_cnns`` package (``lpf2`` =
BlurPool-k2). The networks keep their library's parameter names under ``backbone.``, so the
published torchvision and antialiased-cnns state dicts load as they are.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from pathlib import Path

import antialiased_cnns.resnet as aa
import torch
import torchvision.models.resnet as tv
from torch import nn

from chanpos.download import ChecksumError
from chanpos.models.resnet import SplitClassifier

# Blocks per stage; resnet10 is the smallest member of the family (one block per stage).
LAYERS = {
    "resnet10": ("basic", [1, 1, 1, 1]),
    "resnet18": ("basic", [2, 2, 2, 2]),
    "resnet34": ("basic", [3, 4, 6, 3]),
    "resnet50": ("bottleneck", [3, 4, 6, 3]),
}


def build_resnet(arch: str, filter_size: int = 1, num_classes: int = 1000) -> nn.Module:
    """torchvision's ResNet (``filter_size`` 1) or antialiased-cnns' BlurPool ResNet (>= 2)."""
    if arch not in LAYERS:
        raise ValueError(f"unknown arch {arch!r}; choose one of {sorted(LAYERS)}")
    block, layers = LAYERS[arch]
    if filter_size == 1:
        cls = tv.BasicBlock if block == "basic" else tv.Bottleneck
        return tv.ResNet(cls, layers, num_classes=num_classes)
    cls = aa.BasicBlock if block == "basic" else aa.Bottleneck
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints per skipped init
        return aa.ResNet(cls, layers, num_classes=num_classes, filter_size=filter_size)


class ShiftResNet(SplitClassifier):
    """An ImageNet ResNet classifier (plain or BlurPool) split at layer4."""

    def __init__(self, resnet: str = "resnet50", filter_size: int = 1, num_classes: int = 1000):
        super().__init__()
        self.backbone = build_resnet(resnet, filter_size, num_classes)


def import_published(
    path: Path | str, sha256: str, resnet: str, filter_size: int
) -> tuple[ShiftResNet, str]:
    """Load published ImageNet weights into a 1000-class ShiftResNet; return it and the file's
    sha256.

    ``sha256`` is the full digest or the prefix torch.hub pins in the file name; a mismatch is a
    :class:`~chanpos.download.ChecksumError` naming the file. Accepts torchvision's plain state
    dict and antialiased-cnns' ``{"state_dict": ...}`` file (loaded with ``weights_only=True``).
    """
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    if not digest.startswith(sha256.lower()):
        raise ChecksumError(Path(path), "sha256", sha256, digest, "published weights")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    model = ShiftResNet(resnet, filter_size, num_classes=1000)
    model.backbone.load_state_dict(blob.get("state_dict", blob))
    return model, digest
