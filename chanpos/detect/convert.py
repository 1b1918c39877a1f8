"""Convert Pedestron's CityPersons checkpoints (mmdet 1.x) to this project's mmdet 3 models.

Pedestron files are ``{'state_dict': ..., 'meta': ...}`` (mean-teacher ``.pth.stu`` files
may hold the state dict alone); keys may carry DataParallel's ``module.`` prefix. The
mapping re-implements the rules of mmdet's ``tools/model_converters/upgrade_model_version.py``
for these three detectors, plus the CSP names of :mod:`chanpos.detect.csp`:

- two-stage (``faster_rcnn``, ``cascade_rcnn``): ``bbox_head.*`` (and cascade's
  ``bbox_head.{i}.*``) move under ``roi_head.``; backbone, neck and RPN keys are unchanged
  (the RPN is sigmoid-based, so its class layout did not change). mmdet 1.x classifiers put
  the background at row 0, mmdet 3 puts it last: ``fc_cls`` rows are reordered, and a
  class-specific ``fc_reg`` loses the background's 4 rows. ``keep_classes`` (1-based mmdet
  1.x foreground indices) keeps a subset, e.g. ``[1]`` for person in an 81-class COCO head.
  ``mask_head.*``/``mask_roi_extractor.*`` are dropped: the box branch of Cascade Mask R-CNN
  never reads the mask branch, and our configs detect boxes only.
- ``csp``: Pedestron's neck ``p3..p5``/``p3_l2..p5_l2`` become ``deconvs.{0..2}``/
  ``norms.{0..2}``; its head branches ``cls_convs.0``, ``reg_convs.0``, ``offset_convs.0``
  become ``convs.{0,1,2}``, ``csp_cls``/``csp_reg``/``csp_offset`` become
  ``center``/``scale``/``offset``, and the learnable ``reg_scales.0``/``offset_scales.0``
  scalars are folded into the scale and offset convolutions (s (Wx + b) = (sW) x + sb).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torch import Tensor

from chanpos.atomic import atomic_path
from chanpos.download import verify

ARCHS = ("faster_rcnn", "cascade_rcnn", "csp")
_DROPPED = ("mask_head.", "mask_roi_extractor.")
_CSP_NAMES = {
    r"neck\.p([345])\.": lambda m: f"neck.deconvs.{int(m[1]) - 3}.",
    r"neck\.p([345])_l2\.": lambda m: f"neck.norms.{int(m[1]) - 3}.",
    r"bbox_head\.cls_convs\.0\.": lambda m: "bbox_head.convs.0.",
    r"bbox_head\.reg_convs\.0\.": lambda m: "bbox_head.convs.1.",
    r"bbox_head\.offset_convs\.0\.": lambda m: "bbox_head.convs.2.",
    r"bbox_head\.csp_cls\.": lambda m: "bbox_head.center.",
    r"bbox_head\.csp_reg\.": lambda m: "bbox_head.scale.",
    r"bbox_head\.csp_offset\.": lambda m: "bbox_head.offset.",
}
_CSP_SCALES = {"bbox_head.reg_scales.0.scale": "scale", "bbox_head.offset_scales.0.scale": "offset"}


class ConversionError(ValueError):
    """A checkpoint whose keys or shapes do not fit the requested conversion."""


def _strip_module(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    return {k.removeprefix("module."): v for k, v in state_dict.items()}


def _classifier(cls: Tensor, keep: list[int]) -> Tensor:
    """mmdet 1.x rows ``[bg, c1, ..., cK]`` -> mmdet 3 rows ``[c_keep..., bg]``."""
    return cls[keep + [0]]


def _regressor(reg: Tensor, num_classes: int, keep: list[int]) -> Tensor:
    """Drop the background's 4 rows of a class-specific regressor, keep ``keep``'s."""
    if reg.shape[0] == 4:  # class-agnostic: unchanged
        return reg
    if reg.shape[0] != 4 * num_classes:
        raise ConversionError(f"fc_reg has {reg.shape[0]} rows, not 4 or 4 x {num_classes}")
    return reg.reshape(num_classes, 4, *reg.shape[1:])[keep].reshape(-1, *reg.shape[1:])


def _convert_two_stage(
    state_dict: dict[str, Tensor], keep_classes: Sequence[int] | None
) -> dict[str, Tensor]:
    out = {}
    for key, val in state_dict.items():
        if key.startswith(_DROPPED):
            continue
        if m := re.fullmatch(r"(bbox_head(?:\.\d+)?)\.(fc_cls|fc_reg)\.(weight|bias)", key):
            num_classes = state_dict[f"{m[1]}.fc_cls.weight"].shape[0]
            keep = list(keep_classes) if keep_classes is not None else list(range(1, num_classes))
            if not all(0 < c < num_classes for c in keep):
                raise ConversionError(f"keep_classes {keep} outside 1..{num_classes - 1}")
            is_cls = m[2] == "fc_cls"
            val = _classifier(val, keep) if is_cls else _regressor(val, num_classes, keep)
        if key.startswith("bbox_head."):
            key = f"roi_head.{key}"
        out[key] = val
    return out


def _convert_csp(state_dict: dict[str, Tensor]) -> dict[str, Tensor]:
    out, scales = {}, {}
    for key, val in state_dict.items():
        if key in _CSP_SCALES:
            scales[_CSP_SCALES[key]] = val.reshape(())
            continue
        if key.startswith("backbone."):
            out[key] = val
            continue
        for pattern, name in _CSP_NAMES.items():
            if m := re.match(pattern, key):
                out[name(m) + key[m.end() :]] = val
                break
        else:
            raise ConversionError(f"unexpected key in a Pedestron CSP checkpoint: {key}")
    for branch, s in scales.items():
        for param in ("weight", "bias"):
            out[f"bbox_head.{branch}.{param}"] = out[f"bbox_head.{branch}.{param}"] * s
    return out


def convert_state_dict(
    state_dict: Mapping[str, Tensor], arch: str, keep_classes: Sequence[int] | None = None
) -> dict[str, Tensor]:
    """Map a Pedestron (mmdet 1.x) state dict of ``arch`` to our mmdet 3 key layout."""
    if arch not in ARCHS:
        raise ValueError(f"arch {arch!r} is not one of {ARCHS}")
    state_dict = _strip_module(state_dict)
    if arch == "csp":
        if keep_classes is not None:
            raise ValueError("CSP has one class (pedestrian): keep_classes does not apply")
        return _convert_csp(state_dict)
    return _convert_two_stage(state_dict, keep_classes)


def _plain_meta(meta: Mapping) -> dict:
    """The JSON-like entries of a checkpoint's meta (what mmengine needs no pickle for)."""
    return {k: v for k, v in meta.items() if isinstance(v, str | int | float | bool)}


def convert_file(
    src: Path | str,
    dst: Path | str,
    sha256: str,
    arch: str,
    keep_classes: Sequence[int] | None = None,
) -> None:
    """Check ``src`` against its pinned sha256, convert it and save an mmengine checkpoint.

    The file is read with ``torch.load(weights_only=True)``: mmdet 1.x checkpoints hold
    tensors, dicts, strings and numbers only, so nothing is unpickled beyond that; a file
    that needs more is refused (a :class:`ConversionError` naming it), never loaded
    permissively. ``dst`` (``{'state_dict', 'meta'}``) is written atomically, and not at
    all when the hash or the conversion fails.
    """
    src = Path(src)
    verify(src, sha256=sha256)
    try:
        blob = torch.load(src, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ConversionError(f"{src}: not loadable with weights_only=True ({err})") from err
    if not isinstance(blob, dict):
        raise ConversionError(f"{src}: expected a dict checkpoint, got {type(blob).__name__}")
    state_dict = blob.get("state_dict", blob)
    if not all(isinstance(v, Tensor) for v in state_dict.values()):
        raise ConversionError(f"{src}: no state dict of tensors found")
    meta = {
        "converted_by": "chanpos.detect.convert",
        "arch": arch,
        "source": src.name,
        "source_sha256": sha256.lower(),
        "keep_classes": list(keep_classes) if keep_classes is not None else None,
        "source_meta": _plain_meta(blob.get("meta") or {}),
    }
    converted = convert_state_dict(state_dict, arch, keep_classes)
    with atomic_path(dst) as tmp:
        torch.save({"state_dict": converted, "meta": meta}, tmp)
