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

import importlib.util
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from chanpos.canvas import IMAGENET_MEAN, IMAGENET_STD

RESNETS = ("ResNet", "ResNetV1c", "ResNetV1d")  # mmseg backbones with a stride-4 stem
EXAMPLE = "deeplabv3/deeplabv3_r50-d8_4xb2-80k_cityscapes-512x1024.py"


def config_file(name: str) -> Path:
    """The path of mmseg config ``name`` (e.g. ``EXAMPLE``) in the installed package's configs."""
    spec = importlib.util.find_spec("mmseg")  # finds the package without importing it
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("mmsegmentation is not installed (see tools/install.sh)")
    root = Path(spec.origin).parent / ".mim" / "configs"
    path = root / name
    if not path.is_file():
        raise FileNotFoundError(f"no mmseg config {name!r} in {root} (e.g. {EXAMPLE!r})")
    return path


def model_config(name: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``model`` section of mmseg config ``name`` as a plain dict, with mmengine dotted-key
    ``overrides`` (e.g. ``{"model.backbone.depth": 18}``) merged in and no pretrained weights."""
    from mmengine.config import Config

    cfg = Config.fromfile(config_file(name))
    if overrides:
        cfg.merge_from_dict(dict(overrides))
    return {**cfg.model.to_dict(), "pretrained": None}


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


def output_stride(config: Mapping[str, Any]) -> int:
    """Input pixels per latent pixel: the ResNet stem's 4 times the stages' strides."""
    return 4 * math.prod(config["backbone"].get("strides", (1, 2, 2, 2)))


def describe(config: Mapping[str, Any]) -> str:
    """The network in words, for the outputs' notes."""
    backbone, decode = config["backbone"], config["decode_head"]
    return (
        f"mmsegmentation DeepLabV3, {backbone['type']}-{backbone['depth']} (stage dilations "
        f"{tuple(backbone.get('dilations', (1, 1, 1, 1)))}), latent = {decode['in_channels']} "
        f"channels of the last stage, output stride {output_stride(config)}, zero padding, "
        f"ASPP dilations {tuple(decode.get('dilations', (1, 6, 12, 18)))}"
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
