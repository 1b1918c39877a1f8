"""Pedestron (mmdet 1.x) checkpoints -> our mmdet 3 detectors: round trips through files.

The mmdet 1.x side is written here independently of the converter, from the documented
layout: two-stage box heads at top level (``bbox_head.*``, cascade ``bbox_head.{i}.*``) with
the background at classifier row 0 and its own 4 regression rows; Pedestron's CSP names
(``neck.p3``, ``neck.p3_l2``, ``bbox_head.cls_convs.0``, ``csp_reg``, ``reg_scales.0.scale``).
"""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

import pytest
import torch
from torch import Tensor

pytest.importorskip("mmdet")

from mmdet.structures import DetDataSample  # noqa: E402

from chanpos.detect.convert import ConversionError, convert_file  # noqa: E402
from chanpos.detect.mmdet_models import build_detector, load_config  # noqa: E402
from chanpos.download import ChecksumError  # noqa: E402
from tests.workflow import REPO  # noqa: E402

CONFIGS = REPO / "configs" / "mmdet"
BRANCH = ("cls", "reg", "offset")  # Pedestron's CSP head branches, in our convs order
_STAGES = {
    "stage1": dict(num_blocks=(1,), num_channels=(8,)),
    "stage2": dict(num_blocks=(1, 1), num_channels=(4, 8)),
    "stage3": dict(num_modules=1, num_blocks=(1, 1, 1), num_channels=(4, 8, 16)),
    "stage4": dict(num_modules=1, num_blocks=(1, 1, 1, 1), num_channels=(4, 8, 16, 32)),
}
TINY_HRNET = {
    "model.backbone.init_cfg": None,
    **{f"model.backbone.extra.{s}.{k}": v for s, d in _STAGES.items() for k, v in d.items()},
    "model.neck.in_channels": [4, 8, 16, 32],
    "model.neck.out_channels": 16,
    "model.rpn_head.in_channels": 16,
    "model.rpn_head.feat_channels": 16,
    "model.roi_head.bbox_roi_extractor.out_channels": 16,
    "model.test_cfg.rcnn.score_thr": 0.0,  # random weights: keep every box to compare
}


def _tiny_heads(stages: list[str], num_classes: int) -> dict:
    return {
        f"model.roi_head.bbox_head{s}.{k}": v
        for s in stages
        for k, v in (("in_channels", 16), ("fc_out_channels", 32), ("num_classes", num_classes))
    }


def _build(name: str, overrides: dict) -> torch.nn.Module:
    torch.manual_seed(0)
    model = build_detector(load_config(CONFIGS / name, overrides))
    for p in model.parameters():  # weights far from init, so a wrong row order shows
        torch.nn.init.normal_(p, std=0.3)
    return model.eval()


def _to_v1_two_stage(sd: dict[str, Tensor], v1_rows: list[int], v1_classes: int) -> dict:
    """Our classes ``c`` sit at mmdet 1.x row ``v1_rows[c]``; row 0 is the background."""
    out = {}
    for key, val in sd.items():
        key = key.removeprefix("roi_head.")
        if re.search(r"fc_cls\.(weight|bias)$", key):
            v1 = torch.randn(v1_classes, *val.shape[1:])
            v1[[0, *v1_rows]] = torch.cat([val[-1:], val[:-1]])
            val = v1
        elif re.search(r"fc_reg\.(weight|bias)$", key) and val.shape[0] != 4:
            v1 = torch.randn(v1_classes, 4, *val.shape[1:])
            v1[v1_rows] = val.reshape(-1, 4, *val.shape[1:])
            val = v1.reshape(-1, *val.shape[1:])
        out[key] = val
    return out


def _to_v1_csp(sd: dict[str, Tensor]) -> dict:
    names = [
        (r"neck\.deconvs\.(\d)\.", lambda m: f"neck.p{int(m[1]) + 3}."),
        (r"neck\.norms\.(\d)\.", lambda m: f"neck.p{int(m[1]) + 3}_l2."),
        (r"bbox_head\.convs\.(\d)\.", lambda m: f"bbox_head.{BRANCH[int(m[1])]}_convs.0."),
        (r"bbox_head\.center\.", lambda m: "bbox_head.csp_cls."),
        (r"bbox_head\.scale\.", lambda m: "bbox_head.csp_reg."),
        (r"bbox_head\.offset\.", lambda m: "bbox_head.csp_offset."),
    ]
    scales = {"scale": 0.5, "offset": 2.0}
    out = {
        "bbox_head.reg_scales.0.scale": torch.tensor([scales["scale"]]),
        "bbox_head.offset_scales.0.scale": torch.tensor([scales["offset"]]),
    }
    for key, val in sd.items():
        branch = key.split(".")[1]
        if key.startswith("bbox_head.") and branch in scales:
            val = val / scales[branch]
        for pattern, name in names:
            if m := re.match(pattern, key):
                key = name(m) + key[m.end() :]
        out[key] = val
    return out


def _save(path: Path, blob: dict) -> str:
    torch.save(blob, path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sample() -> DetDataSample:
    return DetDataSample(
        metainfo=dict(
            img_shape=(64, 96), pad_shape=(64, 96), batch_input_shape=(64, 96), scale_factor=(1, 1)
        )
    )


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


CASES = {
    "faster_rcnn": ("faster_rcnn_hrnet.py", [""], [1], 2, None),
    # an 81-class-style head reduced to person: our class 0 is mmdet 1.x row 2 of 4
    "faster_rcnn_keep": ("faster_rcnn_hrnet.py", [""], [2], 4, [2]),
    "cascade_rcnn": ("cascade_rcnn_hrnet.py", [".0", ".1", ".2"], [1], 2, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_two_stage_round_trip(case, tmp_path):
    name, stages, v1_rows, v1_classes, keep = CASES[case]
    arch = case.removesuffix("_keep")
    ours = _build(name, TINY_HRNET | _tiny_heads(stages, 1))
    v1 = {
        f"module.{k}": v
        for k, v in _to_v1_two_stage(ours.state_dict(), v1_rows, v1_classes).items()
    }
    if arch == "cascade_rcnn":  # Pedestron's cascade also has a mask branch
        v1["module.mask_head.0.convs.0.conv.weight"] = torch.randn(16, 16, 3, 3)
    src, dst = tmp_path / f"{arch}.pth.stu", tmp_path / "out.pth"
    sha = _save(src, {"state_dict": v1, "meta": {"mmdet_version": "1.0rc0+x", "epoch": 9}})
    convert_file(src, dst, sha, arch, keep_classes=keep)

    blob = torch.load(dst, weights_only=True)
    assert blob["meta"]["source_sha256"] == sha and blob["meta"]["source_meta"]["epoch"] == 9
    fresh = _build(name, TINY_HRNET | _tiny_heads(stages, 1))
    fresh.load_state_dict(blob["state_dict"], strict=True)
    for key, val in ours.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], val), key
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        a, b = (m.predict(x, [_sample()])[0].pred_instances for m in (ours, fresh))
    assert len(a) > 0 and torch.equal(a.bboxes, b.bboxes) and torch.equal(a.scores, b.scores)


def test_csp_round_trip(tmp_path):
    ours = _build("csp_mini.py", {})
    src, dst = tmp_path / "csp.pth", tmp_path / "out.pth"
    sha = _save(src, {"state_dict": _to_v1_csp(ours.state_dict()), "meta": {}})
    convert_file(src, dst, sha, "csp")
    fresh = _build("csp_mini.py", {})
    fresh.load_state_dict(torch.load(dst, weights_only=True)["state_dict"], strict=True)
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        for a, b in zip(ours._forward(x), fresh._forward(x), strict=True):
            assert torch.allclose(a, b, rtol=1e-5, atol=1e-5)


def test_wrong_hash_names_the_file_and_writes_nothing(tmp_path):
    src, dst = tmp_path / "csp.pth", tmp_path / "out.pth"
    sha = _save(src, {"state_dict": {}, "meta": {}})
    with pytest.raises(ChecksumError, match=rf"{re.escape(str(src))}: expected 0+, got {sha}"):
        convert_file(src, dst, "0" * 64, "csp")
    assert list(tmp_path.iterdir()) == [src]


def test_pickled_objects_are_refused(tmp_path):
    src, dst = tmp_path / "odd.pth", tmp_path / "out.pth"
    sha = _save(src, {"state_dict": {}, "meta": {"args": argparse.Namespace(a=1)}})
    with pytest.raises(ConversionError, match="weights_only"):
        convert_file(src, dst, sha, "faster_rcnn")
    assert not dst.exists()
