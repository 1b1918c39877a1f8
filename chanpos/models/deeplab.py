"""DeepLabv3 (ResNet Bottleneck backbone, ASPP head) behind the latent split (main Sec. 4.2).

``encode`` = stem to layer4 (output stride 8/16/32 by dilating the last stages); ``head`` = ASPP,
3x3 conv block, 1x1 classifier and bilinear upsampling. Depth (blocks per stage) and width (stem
channels; the latent has ``32 * width`` channels) come from config: ``layers=(3, 4, 6, 3)``,
``width=64`` is ResNet-50 with 2048 latent channels. Parameter names follow torchvision
(``backbone.layer4.0.conv1.weight``, ``classifier.0.convs.1.0.weight``, ...), so published
weights load by renaming keys only (:func:`from_vainf_state_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.resnet import Bottleneck, ResNet
from torchvision.models.segmentation.deeplabv3 import ASPP

_DILATE = {8: (False, True, True), 16: (False, False, True), 32: (False, False, False)}


class ResNetBackbone(nn.Module):
    """torchvision's Bottleneck ResNet without avgpool/fc, any depth and width."""

    _make_layer = ResNet._make_layer  # torchvision's own stage builder (same module names)

    def __init__(self, layers: Sequence[int], width: int = 64, output_stride: int = 16) -> None:
        super().__init__()
        self._norm_layer, self.groups, self.base_width = nn.BatchNorm2d, 1, 64
        self.inplanes, self.dilation = width, 1
        dilate = _DILATE[output_stride]
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(Bottleneck, width, layers[0])
        self.layer2 = self._make_layer(Bottleneck, 2 * width, layers[1], 2, dilate[0])
        self.layer3 = self._make_layer(Bottleneck, 4 * width, layers[2], 2, dilate[1])
        self.layer4 = self._make_layer(Bottleneck, 8 * width, layers[3], 2, dilate[2])
        self.out_channels = 8 * width * Bottleneck.expansion
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class DeepLabV3(nn.Module):
    """DeepLabv3 split at layer4: ``encode(x) -> z``, ``head(z, size) -> logits``."""

    def __init__(
        self,
        num_classes: int = 19,
        layers: Sequence[int] = (3, 4, 6, 3),
        width: int = 64,
        aspp_channels: int = 256,
        aspp_rates: Sequence[int] = (6, 12, 18),
        output_stride: int = 16,
    ) -> None:
        super().__init__()
        self.output_stride = output_stride
        self.backbone = ResNetBackbone(layers, width, output_stride)
        c = aspp_channels
        self.classifier = nn.Sequential(
            ASPP(self.backbone.out_channels, aspp_rates, c),
            nn.Conv2d(c, c, 3, padding=1, bias=False),
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.Conv2d(c, num_classes, 1),
        )

    def encode(self, x: Tensor) -> Tensor:
        return self.backbone(x)

    def head(self, z: Tensor, size: tuple[int, int] | None = None) -> Tensor:
        """Per-pixel logits, upsampled to ``size`` (default: ``z``'s size times the stride)."""
        size = size or (z.shape[-2] * self.output_stride, z.shape[-1] * self.output_stride)
        return F.interpolate(self.classifier(z), size=size, mode="bilinear", align_corners=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encode(x), size=tuple(x.shape[-2:]))


def from_vainf_state_dict(state: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Rename a VainF/DeepLabV3Plus-Pytorch ``deeplabv3_*`` state dict to :class:`DeepLabV3`'s.

    Their head is ``classifier.classifier.<i>``, ours ``classifier.<i>``; a DataParallel
    ``module.`` prefix is dropped. Every other name (backbone, ASPP) is already the same.
    """
    out = {}
    for key, value in state.items():
        key = key.removeprefix("module.")
        out[key.replace("classifier.classifier.", "classifier.", 1)] = value
    return out


def load_vainf_checkpoint(path: str, model: DeepLabV3) -> DeepLabV3:
    """Load the authors' checkpoint file (``{"model_state": ...}``) into ``model``, strictly.

    The file also holds numpy scalars (``best_score``); only their reconstruction is allowed
    on top of ``weights_only=True``.
    """
    scalar = np._core.multiarray.scalar
    allowed = [
        (scalar, "numpy.core.multiarray.scalar"),
        (scalar, "numpy._core.multiarray.scalar"),
        np.dtype,
        type(np.dtype(np.float64)),
    ]
    with torch.serialization.safe_globals(allowed):
        blob = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(from_vainf_state_dict(blob.get("model_state", blob)))
    return model
