"""The authors' CIFAR-style ResNet-18 for the grid-canvas experiments (main Sec. 3).

As in islamamirul/PermuteNet ``models/resnet.py``: a 7x7 stride-2 ``conv1`` (padding 3) with no
max-pool, BasicBlocks [2, 2, 2, 2] with stage strides 1, 2, 2, 2 and zero padding. ``width`` is
the first stage's channel count (64 in the paper); the mini preset narrows it through config.
"""

from __future__ import annotations

from torch import Tensor, nn
from torchvision.models.resnet import BasicBlock


def _stage(in_planes: int, planes: int, stride: int) -> nn.Sequential:
    down = None
    if stride != 1 or in_planes != planes:
        down = nn.Sequential(
            nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes)
        )
    return nn.Sequential(BasicBlock(in_planes, planes, stride, down), BasicBlock(planes, planes))


class CifarResNet18(nn.Module):
    """ResNet-18 encoder; ``forward`` returns the layer4 feature map (B, 8*width, H/16, W/16)."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.out_channels = 8 * width
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        widths = [width, 2 * width, 4 * width, 8 * width]
        strides = [1, 2, 2, 2]
        stages, in_planes = [], width
        for planes, stride in zip(widths, strides, strict=True):
            stages.append(_stage(in_planes, planes, stride))
            in_planes = planes
        self.stages = nn.Sequential(*stages)

    def forward(self, x: Tensor) -> Tensor:
        return self.stages(self.stem(x))


class SplitNet(nn.Module):
    """An encoder and a head composed under the latent split (``encode`` then ``head``)."""

    def __init__(self, encoder: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.readout = head

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(x)

    def head(self, z: Tensor) -> Tensor:
        return self.readout(z)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encode(x))
