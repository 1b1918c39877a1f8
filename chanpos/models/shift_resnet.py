"""ImageNet ResNets for Table 2 / Fig. S2, plain (torchvision) or anti-aliased (antialiased-cnns).

:class:`ShiftResNet` puts either library's ResNet behind the latent split: ``encode`` = stem to
layer4, ``head`` = fc on the global average pool. ``filter_size`` 1 builds torchvision's ResNet;
2 or more builds Zhang (2019)'s BlurPool ResNet from the ``antialiased_cnns`` package (``lpf2`` =
BlurPool-k2). The networks keep their library's parameter names under ``backbone.``, so the
published torchvision and antialiased-cnns state dicts load as they are.

``width`` scales the stage widths (64, 128, 256, 512 at the libraries' 64) for the mini preset;
a narrower network is assembled from the same library's stem, blocks and ``_make_layer``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from functools import partial
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


def build_resnet(
    arch: str, filter_size: int = 1, num_classes: int = 1000, width: int = 64
) -> nn.Module:
    """torchvision's ResNet (``filter_size`` 1) or antialiased-cnns' BlurPool ResNet (>= 2),
    with stage widths ``width * (1, 2, 4, 8)``."""
    if arch not in LAYERS:
        raise ValueError(f"unknown arch {arch!r}; choose one of {sorted(LAYERS)}")
    if width < 1:
        raise ValueError(f"width must be a positive number of channels, not {width}")
    kind, layers = LAYERS[arch]
    lib, name = (tv, "torchvision") if filter_size == 1 else (aa, "antialiased_cnns")
    block = lib.BasicBlock if kind == "basic" else lib.Bottleneck
    with contextlib.redirect_stdout(io.StringIO()):  # antialiased-cnns prints per skipped init
        if width == 64:
            kw = {} if filter_size == 1 else {"filter_size": filter_size}
            return lib.ResNet(block, layers, num_classes=num_classes, **kw)
        return _ScaledResNet(name, block, layers, num_classes, width, filter_size)


class _ScaledResNet(nn.Module):
    """A library ResNet (torchvision's or antialiased-cnns') at stage widths ``width * 2**i``:
    the library's stem layout, blocks and ``_make_layer``, its initialisation, and its module
    names (``conv1``, ``layer1.0.conv1``, ..., ``fc``)."""

    def __init__(
        self,
        lib: str,
        block: type[nn.Module],
        layers: list[int],
        num_classes: int,
        width: int,
        filter_size: int,
    ) -> None:
        super().__init__()
        self._norm_layer, self.groups, self.base_width = nn.BatchNorm2d, 1, 64
        self.inplanes, self.dilation = width, 1
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        if lib == "torchvision":
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            make = partial(tv.ResNet._make_layer, self, block)
        else:  # Zhang's pool_only stem: max-pool densely, then blur-pool with stride 2
            self.maxpool = nn.Sequential(
                nn.MaxPool2d(kernel_size=2, stride=1), aa.BlurPool(width, filt_size=filter_size)
            )
            make = partial(aa.ResNet._make_layer, self, block, filter_size=filter_size)
        self.layer1 = make(width, layers[0])
        self.layer2 = make(2 * width, layers[1], stride=2)
        self.layer3 = make(4 * width, layers[2], stride=2)
        self.layer4 = make(8 * width, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8 * width * block.expansion, num_classes)
        for m in self.modules():  # both libraries' init (BlurPool's filters are buffers)
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    forward = tv.ResNet._forward_impl


class ShiftResNet(SplitClassifier):
    """An ImageNet ResNet classifier (plain or BlurPool) split at layer4."""

    def __init__(
        self,
        resnet: str = "resnet50",
        filter_size: int = 1,
        num_classes: int = 1000,
        width: int = 64,
    ) -> None:
        super().__init__()
        self.backbone = build_resnet(resnet, filter_size, num_classes, width)


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
