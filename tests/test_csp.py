"""CSP through mmdet 3: configs build, neck latent, targets, decoding, overfitting, hooks."""

from __future__ import annotations

import time

import pytest
import torch

pytest.importorskip("mmdet")

from mmdet.structures import DetDataSample  # noqa: E402
from mmdet.structures.bbox import bbox_overlaps  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

from chanpos.channels import zero_channels  # noqa: E402
from chanpos.detect.csp import csp_decode, csp_targets  # noqa: E402
from chanpos.detect.mmdet_models import build_detector, load_config  # noqa: E402
from tests.workflow import REPO  # noqa: E402

CONFIGS = REPO / "configs" / "mmdet"
NO_PRETRAINED = {"model.backbone.init_cfg": None}
# Two pedestrian-shaped boxes (w = 0.41 h) on a 128x256 image.
GT = torch.tensor([[40.0, 30.0, 40 + 0.41 * 64, 94.0], [160.0, 40.0, 160 + 0.41 * 72, 112.0]])


def _sample(gt: torch.Tensor = GT) -> DetDataSample:
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(128, 256),
            pad_shape=(128, 256),
            batch_input_shape=(128, 256),
            scale_factor=(1.0, 1.0),
        )
    )
    sample.gt_instances = InstanceData(bboxes=gt, labels=torch.zeros(len(gt), dtype=torch.long))
    return sample


def _image(gt: torch.Tensor = GT) -> torch.Tensor:
    x = torch.randn(1, 3, 128, 256, generator=torch.Generator().manual_seed(0)) * 0.1
    for x0, y0, x1, y1 in gt.long().tolist():
        x[0, :, y0:y1, x0:x1] += 2.0
    return x


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def mini():
    torch.manual_seed(0)
    model = build_detector(load_config(CONFIGS / "csp_mini.py"))
    model.init_weights()
    return model


PAPER_HEAD = {  # the paper's head: one shared 3x3 conv + BN, then 1x1 predictors
    "model.bbox_head.shared_conv": True,
    "model.bbox_head.pred_kernel_size": 1,
    "model.bbox_head.norm_cfg": dict(_delete_=True, type="BN"),
}


@pytest.mark.parametrize(
    ("name", "channels", "overrides"),
    [("csp_r50.py", 768, {}), ("csp_mini.py", 192, {}), ("csp_mini.py", 192, PAPER_HEAD)],
)
def test_config_builds_and_neck_is_one_map_at_stride_4(name, channels, overrides):
    model = build_detector(load_config(CONFIGS / name, NO_PRETRAINED | overrides)).eval()
    with torch.no_grad():
        z = model.extract_feat(torch.randn(1, 3, 128, 256))
        center, scale, offset = model.bbox_head(z)
    assert z.shape == (1, channels, 32, 64)
    assert len(model.bbox_head.convs) == (1 if overrides else 3)
    assert center.shape == scale.shape == (1, 1, 32, 64) and offset.shape == (1, 2, 32, 64)


def test_targets_peak_at_centres_and_skip_ignore_boxes():
    ignore = torch.tensor([[200.0, 10.0, 240.0, 100.0]])
    t = csp_targets(GT, ignore, (32, 64), stride=4)
    centres = ((GT[:, :2] + GT[:, 2:]) / 2 / 4).long()
    assert t["pos"].sum() == 2
    for cx, cy in centres.tolist():
        assert t["pos"][cy, cx] == 1 and t["heat"][cy, cx] == 1
        assert t["heat"][cy, cx + 2] < 1 and t["heat"][cy + 3, cx] < 1
    assert t["valid"][2:25, 50:60].eq(0).all() and t["pos"][:, 50:60].eq(0).all()
    assert t["valid"][:, :45].eq(1).all()
    assert torch.allclose(
        t["scale"][centres[:, 1], centres[:, 0]], torch.log((GT[:, 3] - GT[:, 1]) / 4)
    )


def test_decoding_inverts_the_targets():
    t = csp_targets(GT, GT.new_zeros(0, 4), (32, 64), stride=4)
    center = (t["pos"] * 20 - 10)[None]
    boxes, scores = csp_decode(center, t["scale"][None], t["offset"], stride=4, width_ratio=0.41)
    top = scores.topk(2).indices
    assert torch.allclose(boxes[top].sort(dim=0).values, GT.sort(dim=0).values, atol=1e-3)


def test_mini_overfits_one_image(mini):
    x, sample = _image(), _sample()
    optimizer = torch.optim.Adam(mini.parameters(), lr=1e-3)
    mini.train()
    losses, times = [], []
    for _ in range(20):
        start = time.process_time()
        loss = sum(mini.loss(x, [sample]).values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.process_time() - start)
        losses.append(loss.item())
    print(f"CSP mini train step at 128x256, 1 thread: {sorted(times)[10]:.3f} CPU s (median)")
    assert sum(losses[-5:]) < 0.1 * sum(losses[:5])
    mini.eval()
    with torch.no_grad():
        pred = mini.predict(x, [sample])[0].pred_instances
    assert bbox_overlaps(GT, pred.bboxes[:2]).max(dim=1).values.gt(0.5).all()
    assert pred.labels.eq(0).all() and pred.scores.ge(0.1).all()


def test_a_neck_hook_reaches_the_head(mini):
    mini.eval()
    x = _image()
    with torch.no_grad():
        before = mini._forward(x)
        channels = range(192)
        for zeroed, same in (([], True), (channels, False)):
            handle = mini.neck.register_forward_hook(
                lambda _m, _i, out, c=zeroed: zero_channels(out, c)
            )
            after = mini._forward(x)
            handle.remove()
            assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True)) is same


def test_mmengine_test_step_returns_rescaled_instances(mini):
    """The path mmdet's test loop takes: data preprocessor, predict(rescale=True)."""
    mini.eval()
    mini.bbox_head.test_cfg["score_thr"] = 0.0
    sample = _sample()
    sample.set_metainfo(dict(ori_shape=(64, 128), scale_factor=(2.0, 2.0)))
    image = torch.randint(0, 256, (3, 128, 256), dtype=torch.uint8)
    (out,) = mini.test_step(dict(inputs=[image], data_samples=[sample]))
    pred = out.pred_instances
    assert len(pred) > 0 and pred.labels.eq(0).all()
    assert pred.bboxes[:, 2].max() <= 128 and pred.bboxes[:, 3].max() <= 64


def test_no_boxes_and_no_detections_are_fine(mini):
    empty = _sample(GT.new_zeros(0, 4))
    losses = mini.loss(_image(), [empty])
    assert all(torch.isfinite(v) for v in losses.values()) and losses["loss_scale"] == 0
    mini.eval()
    mini.bbox_head.test_cfg["score_thr"] = 1.0
    with torch.no_grad():
        pred = mini.predict(_image(), [empty])[0].pred_instances
    assert pred.bboxes.shape == (0, 4) and len(pred.scores) == 0
