"""mmsegmentation's DeepLabV3 (an mmseg config and checkpoint) behind the latent split (Sec. 4.2).

``encode(x)`` = the backbone's last stage (2048 channels for R-50-D8); ``head(z, size)`` = the
decode head (``ASPPHead``) on that stage, resized bilinearly to ``size`` as mmseg's whole-image
inference does. The auxiliary FCN head only adds a training loss and is not kept.

Inputs are chanpos's: RGB in [0, 1] normalised with the ImageNet mean and std. mmseg's
Cityscapes data preprocessor (``mean=[123.675, 116.28, 103.53]``, ``std=[58.395, 57.12,
57.375]`` on 0-255 pixels, ``bgr_to_rgb=True`` on its BGR-loaded images) is exactly that, since
``123.675 / 255 = 0.485``, ..., ``58.395 / 255 = 0.229``, ...; a config that normalises
otherwise is refused (:func:`check_config`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from chanpos.canvas import IMAGENET_MEAN, IMAGENET_STD
from chanpos.models.mmseg_config import output_stride

RESNETS = ("ResNet", "ResNetV1c", "ResNetV1d")  # mmseg backbones with a stride-4 stem


def check_config(config: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` unless ``config`` is a segmentor this split reproduces exactly: an
    encoder-decoder with a ResNet backbone, no neck, a decode head that reads only the last
    stage, whole-image inference and chanpos's input normalisation."""
    backbone, decode = config["backbone"], config["decode_head"]
    pre = config.get("data_preprocessor") or {}
    last = len(backbone.get("out_indices", (0, 1, 2, 3))) - 1
    mean = [m / 255 for m in pre.get("mean") or ()]
    std = [s / 255 for s in pre.get("std") or ()]
    needs = {
        "type EncoderDecoder": config.get("type") == "EncoderDecoder",
        f"backbone type in {RESNETS}": backbone.get("type") in RESNETS,
        "decode_head type ASPPHead": decode.get("type") == "ASPPHead",
        "no neck": not config.get("neck"),
        "decode_head.in_index the last backbone stage": decode.get("in_index", -1) in (last, -1)
        and decode.get("input_transform") is None,
        "test_cfg.mode 'whole'": (config.get("test_cfg") or {}).get("mode", "whole") == "whole",
        "data_preprocessor: ImageNet mean and std (x 255), bgr_to_rgb": pre.get("bgr_to_rgb")
        and not pre.get("rgb_to_bgr")
        and _close(mean, IMAGENET_MEAN)
        and _close(std, IMAGENET_STD),
    }
    missing = [need for need, ok in needs.items() if not ok]
    if missing:
        raise ValueError(f"mmseg config not supported by the latent split: needs {missing}")


def _close(a: list[float], b: tuple[float, ...]) -> bool:
    return len(a) == len(b) and all(
        math.isclose(x, y, abs_tol=1e-6) for x, y in zip(a, b, strict=True)
    )


def build_segmentor(config: Mapping[str, Any]) -> nn.Module:
    """mmseg's segmentor of a ``model`` config dict, randomly initialised, SyncBN as plain BN."""
    from mmengine.config import ConfigDict
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope("mmseg"):  # its data preprocessor is mmseg's
        segmentor = MODELS.build(ConfigDict(config))
    return revert_sync_batchnorm(segmentor).eval()


class MMSegDeepLabV3(nn.Module):
    """An mmseg DeepLabV3 split at the backbone's last stage: ``encode(x) -> z``,
    ``head(z, size) -> logits``. ``segmentor``: one already built from ``config`` (e.g.
    loaded); by default it is built here. Its auxiliary head is dropped."""

    def __init__(self, config: Mapping[str, Any], segmentor: nn.Module | None = None) -> None:
        super().__init__()
        check_config(config)
        if segmentor is None:
            segmentor = build_segmentor(config)
        self.config = dict(config)
        self.output_stride = output_stride(config)
        self.num_classes = segmentor.decode_head.num_classes
        self.backbone, self.decode_head = segmentor.backbone, segmentor.decode_head

    def encode(self, x: Tensor) -> Tensor:
        return self.backbone(x)[-1]

    def head(self, z: Tensor, size: tuple[int, int] | None = None) -> Tensor:
        """Per-pixel logits, upsampled to ``size`` (default: ``z``'s size times the stride)."""
        size = size or (z.shape[-2] * self.output_stride, z.shape[-1] * self.output_stride)
        stages = [None] * (len(self.backbone.out_indices) - 1) + [z]  # it reads the last only
        logits = self.decode_head(stages)
        return F.interpolate(
            logits, size=size, mode="bilinear", align_corners=self.decode_head.align_corners
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encode(x), size=tuple(x.shape[-2:]))


def load_mmseg_checkpoint(path: Path | str, config: Mapping[str, Any]) -> MMSegDeepLabV3:
    """Load an mmengine checkpoint (``{"meta": ..., "state_dict": ...}``) of ``config``'s
    segmentor, strictly (auxiliary head included), with ``weights_only=True``."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(f"{path}: not a loadable mmengine checkpoint ({err})") from err
    if not isinstance(blob, dict) or "state_dict" not in blob:
        raise ValueError(f"{path}: expected an mmengine checkpoint with a 'state_dict'")
    segmentor = build_segmentor(config)
    segmentor.load_state_dict(blob["state_dict"])
    return MMSegDeepLabV3(config, segmentor)
