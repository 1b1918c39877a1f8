"""The authors' CIFAR-style ResNet-18 for the grid-canvas experiments (main Sec. 3).

As in islamamirul/PermuteNet ``models/resnet.py``: a 7x7 stride-2 ``conv1`` (padding 3) with no
max-pool, BasicBlocks [2, 2, 2, 2] with stage strides 1, 2, 2, 2 and zero padding. ``width`` is
the first stage's channel count (64 in the paper); the mini preset narrows it through config.

The block is written here rather than imported from torchvision: importing torchvision costs
about 3 s per job on a 2-core machine (it loads ``torch._dynamo``), a quarter of a mini Table 1
job, and nothing else on this path needs it. Its parameter names match torchvision's.
"""

from __future__ import annotations

from torch import Tensor, nn


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with a residual connection (He et al. 2016), as torchvision's."""

    def __init__(
        self, in_planes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


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
