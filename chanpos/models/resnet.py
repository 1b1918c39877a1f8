"""torchvision ResNet-18 encoders behind the latent split (Fig. S1's frozen encoders).

* :class:`ResNetClassifier`: the ImageNet classifier; ``encode`` = stem to layer4; ``head`` = fc.
* :class:`ResNetSegmenter`: the same backbone with an FCN head for PASCAL VOC segmentation, its
  layer4 dilated (stride 1, dilation 2) as DeepLab does, for an output stride of 16;
  ``head`` = 3x3 conv block, 1x1 classifier, bilinear upsampling to the input size.

Both keep torchvision's parameter names under ``backbone.`` so published weights load as they are.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models import resnet18

from chanpos.latent import gap

LATENT_CHANNELS = 512
SEGMENTER_STRIDE = 16


def _backbone() -> nn.Module:
    return resnet18(weights=None)


def _dilate_layer4(net: nn.Module) -> None:
    """Output stride 32 -> 16: layer4 keeps its resolution and dilates its 3x3 convolutions."""
    first = net.layer4[0]
    first.conv1.stride = (1, 1)
    first.downsample[0].stride = (1, 1)
    for block in net.layer4:
        for conv in (block.conv1, block.conv2):
            if conv is first.conv1:
                continue  # the block's entry conv keeps dilation 1, as torchvision's Bottleneck
            conv.dilation, conv.padding = (2, 2), (2, 2)


def _encode(net: nn.Module, x: Tensor) -> Tensor:
    x = net.maxpool(net.relu(net.bn1(net.conv1(x))))
    return net.layer4(net.layer3(net.layer2(net.layer1(x))))


class SplitClassifier(nn.Module):
    """A torchvision-layout ResNet classifier (``self.backbone``) behind the latent split:
    ``encode`` = stem to layer4, ``head`` = fc on the global average pool."""

    backbone: nn.Module

    def encode(self, x: Tensor) -> Tensor:
        return _encode(self.backbone, x)

    def head(self, z: Tensor) -> Tensor:
        return self.backbone.fc(gap(z))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encode(x))


class ResNetClassifier(SplitClassifier):
    """torchvision ResNet-18 image classifier split at layer4."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.backbone = _backbone()
        if num_classes != self.backbone.fc.out_features:
            self.backbone.fc = nn.Linear(LATENT_CHANNELS, num_classes)


class ResNetSegmenter(nn.Module):
    """ResNet-18 backbone with an FCN head, split at layer4."""

    def __init__(self, num_classes: int = 21, head_channels: int = 128) -> None:
        super().__init__()
        self.backbone = _backbone()
        self.backbone.fc = nn.Identity()
        _dilate_layer4(self.backbone)
        self.classifier = nn.Sequential(
            nn.Conv2d(LATENT_CHANNELS, head_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(head_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(head_channels, num_classes, 1),
        )

    def encode(self, x: Tensor) -> Tensor:
        return _encode(self.backbone, x)

    def head(self, z: Tensor, size: tuple[int, int] | None = None) -> Tensor:
        """Per-pixel logits, upsampled to ``size`` (default: ``z``'s size times the stride)."""
        size = size or (z.shape[-2] * SEGMENTER_STRIDE, z.shape[-1] * SEGMENTER_STRIDE)
        return F.interpolate(self.classifier(z), size=size, mode="bilinear", align_corners=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encode(x), size=tuple(x.shape[-2:]))
