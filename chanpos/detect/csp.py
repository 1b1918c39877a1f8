"""CSP, Center and Scale Prediction (Liu et al., CVPR 2019), as mmdet 3 modules.

The detector is mmdet's ``SingleStageDetector`` with a ResNet backbone, :class:`CSPNeck`
and :class:`CSPHead`. The neck returns one tensor (not a tuple): the latent the experiment
ranks and ablates, so a forward hook on ``model.neck`` that returns a modified tensor is
exactly what the head reads.

Map conventions follow Pedestron's CSP so its converted weights decode unchanged: at
stride ``s``, the heat-map cell ``(i, j)`` predicts a centre at ``((j + 0.5 + dx) s,
(i + 0.5 + dy) s)``, the offset map holds ``(dy, dx)`` and the scale map ``log(h / s)``;
the width is ``width_ratio * h``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmcv.ops import nms
from mmdet.models.dense_heads.base_dense_head import BaseDenseHead
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

PEDESTRIAN_WIDTH_RATIO = 0.41  # CityPersons boxes have a fixed aspect ratio w = 0.41 h


class L2Scale(nn.Module):
    """L2-normalise each pixel's channel vector, then scale each channel (learnable)."""

    def __init__(self, channels: int, init: float):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), float(init)))

    def forward(self, x: Tensor) -> Tensor:
        norm = x.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10
        return x / norm * self.weight.view(1, -1, 1, 1)


@MODELS.register_module()
class CSPNeck(BaseModule):
    """Upsample each input level to a common stride, L2-normalise, concatenate channels.

    ``factors[k]`` is the upsampling factor (2 or 4) of ``in_channels[k]``'s level, done by a
    4x4 transposed convolution; the output has ``len(in_channels) * out_channels`` channels.
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        out_channels: int = 256,
        factors: Sequence[int] = (2, 4, 4),
        norm_scale: float = 10.0,
        init_cfg: dict | None = None,
    ):
        super().__init__(init_cfg)
        if len(in_channels) != len(factors):
            raise ValueError(f"in_channels {in_channels} and factors {factors} differ in length")
        self.deconvs = nn.ModuleList(
            nn.ConvTranspose2d(c, out_channels, 4, stride=f, padding=(4 - f) // 2)
            for c, f in zip(in_channels, factors, strict=True)
        )
        self.norms = nn.ModuleList(L2Scale(out_channels, norm_scale) for _ in in_channels)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        maps = [
            norm(deconv(x))
            for x, deconv, norm in zip(inputs, self.deconvs, self.norms, strict=True)
        ]
        return torch.cat(maps, dim=1)


def _box_cells(box: Tensor, stride: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The cells ``[x0, x1) x [y0, y1)`` a box covers at ``stride``, clipped to the map."""
    h, w = size
    x0, y0 = (int(torch.clamp(box[i] / stride, 0, lim)) for i, lim in ((0, w - 1), (1, h - 1)))
    x1, y1 = (
        max(int(torch.clamp(torch.ceil(box[i] / stride), 0, lim)), lo + 1)
        for i, lim, lo in ((2, w, x0), (3, h, y0))
    )
    return x0, y0, x1, y1


def _sigma(cells: int) -> float:
    """Gaussian sigma for a kernel ``cells`` wide (OpenCV's default for that kernel size)."""
    return 0.3 * ((cells - 1) * 0.5 - 1) + 0.8


def csp_targets(
    bboxes: Tensor, ignore: Tensor, size: tuple[int, int], stride: int
) -> dict[str, Tensor]:
    """Training maps of one image at ``size = (H, W)`` cells of ``stride`` pixels.

    ``bboxes`` and ``ignore`` are ``(n, 4)`` x1y1x2y2 pixel boxes. Returns ``heat`` (the
    max of per-box Gaussians over each box, peak 1 at its centre cell), ``pos`` (1 at centre
    cells), ``valid`` (0 inside ignore boxes unless also inside a box), ``scale`` (log(h /
    stride) at centre cells) and ``offset`` (2, H, W: (dy, dx) of the centre within its cell).
    Ignore boxes never give positives.
    """
    h, w = size
    heat, pos, scale = (bboxes.new_zeros(h, w) for _ in range(3))
    valid = bboxes.new_ones(h, w)
    offset = bboxes.new_zeros(2, h, w)
    for box in ignore:
        x0, y0, x1, y1 = _box_cells(box, stride, size)
        valid[y0:y1, x0:x1] = 0
    ys = torch.arange(h, dtype=bboxes.dtype, device=bboxes.device).view(-1, 1)
    xs = torch.arange(w, dtype=bboxes.dtype, device=bboxes.device).view(1, -1)
    for box in bboxes:
        x0, y0, x1, y1 = _box_cells(box, stride, size)
        valid[y0:y1, x0:x1] = 1
        cx, cy = (box[0] + box[2]) / 2 / stride, (box[1] + box[3]) / 2 / stride
        j, i = int(cx.clamp(0, w - 1)), int(cy.clamp(0, h - 1))
        gauss = torch.exp(
            -((xs - j) ** 2) / (2 * _sigma(x1 - x0) ** 2)
            - (ys - i) ** 2 / (2 * _sigma(y1 - y0) ** 2)
        )
        heat[y0:y1, x0:x1] = torch.maximum(heat[y0:y1, x0:x1], gauss[y0:y1, x0:x1])
        pos[i, j] = 1
        scale[i, j] = torch.log((box[3] - box[1]).clamp(min=1) / stride)
        offset[:, i, j] = torch.stack([cy - i - 0.5, cx - j - 0.5])
    return {"heat": heat, "pos": pos, "valid": valid, "scale": scale, "offset": offset}


def csp_decode(
    center: Tensor, scale: Tensor, offset: Tensor, stride: int, width_ratio: float
) -> tuple[Tensor, Tensor]:
    """Boxes ``(H*W, 4)`` and scores ``(H*W,)`` of one image's ``(C, H, W)`` head maps."""
    _, h, w = center.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, device=center.device, dtype=scale.dtype),
        torch.arange(w, device=center.device, dtype=scale.dtype),
        indexing="ij",
    )
    cy = (ys + 0.5 + offset[0]) * stride
    cx = (xs + 0.5 + offset[1]) * stride
    height = scale[0].exp() * stride
    half_w, half_h = width_ratio * height / 2, height / 2
    boxes = torch.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], dim=-1)
    return boxes.reshape(-1, 4), center[0].sigmoid().reshape(-1)


@MODELS.register_module()
class CSPHead(BaseDenseHead):
    """Centre heat-map, log-height and offset predictions on the neck's stride-``stride`` map.

    ``shared_conv=True`` is the paper's head (one 3x3 conv, then 1x1 predictors); ``False``
    with ``pred_kernel_size=3`` and GroupNorm is Pedestron's layout (one 3x3 conv per branch).
    """

    def __init__(
        self,
        in_channels: int = 768,
        feat_channels: int = 256,
        stride: int = 4,
        shared_conv: bool = True,
        pred_kernel_size: int = 1,
        norm_cfg: dict | None = None,
        width_ratio: float = PEDESTRIAN_WIDTH_RATIO,
        loss_weights: dict | None = None,
        focal_alpha: float = 2.0,
        focal_beta: float = 4.0,
        train_cfg: dict | None = None,
        test_cfg: dict | None = None,
        init_cfg: dict | None = None,
    ):
        super().__init__(
            init_cfg
            or dict(
                type="Normal",
                layer="Conv2d",
                std=0.01,
                override=dict(type="Normal", name="center", std=0.01, bias_prob=0.01),
            )
        )
        norm_cfg = norm_cfg or dict(type="BN")
        self.convs = nn.ModuleList(
            ConvModule(in_channels, feat_channels, 3, padding=1, norm_cfg=norm_cfg)
            for _ in range(1 if shared_conv else 3)
        )
        pad = pred_kernel_size // 2
        self.center = nn.Conv2d(feat_channels, 1, pred_kernel_size, padding=pad)
        self.scale = nn.Conv2d(feat_channels, 1, pred_kernel_size, padding=pad)
        self.offset = nn.Conv2d(feat_channels, 2, pred_kernel_size, padding=pad)
        self.stride, self.width_ratio = stride, width_ratio
        self.loss_weights = dict(center=0.01, scale=1.0, offset=0.1) | (loss_weights or {})
        self.focal_alpha, self.focal_beta = focal_alpha, focal_beta
        self.train_cfg, self.test_cfg = train_cfg, test_cfg

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Centre logits (N, 1, H, W), log-height (N, 1, H, W), offsets (N, 2, H, W)."""
        feats = [conv(x) for conv in self.convs]
        if len(feats) == 1:
            feats *= 3
        return self.center(feats[0]), self.scale(feats[1]), self.offset(feats[2])

    def loss_by_feat(
        self,
        center: Tensor,
        scale: Tensor,
        offset: Tensor,
        batch_gt_instances: list[InstanceData],
        batch_img_metas: list[dict],
        batch_gt_instances_ignore: list[InstanceData] | None = None,
    ) -> dict[str, Tensor]:
        """Focal-style centre loss with Gaussian negative down-weighting; smooth-L1 elsewhere."""
        ignores = batch_gt_instances_ignore or [None] * len(batch_gt_instances)
        size = tuple(center.shape[-2:])
        maps = [
            csp_targets(
                gt.bboxes,
                ign.bboxes if ign is not None else gt.bboxes.new_zeros(0, 4),
                size,
                self.stride,
            )
            for gt, ign in zip(batch_gt_instances, ignores, strict=True)
        ]
        t = {k: torch.stack([m[k] for m in maps]) for k in maps[0]}
        num_pos = t["pos"].sum().clamp(min=1)
        p = center[:, 0].sigmoid()
        bce = F.binary_cross_entropy_with_logits(center[:, 0], t["pos"], reduction="none")
        weight = (
            t["pos"] * (1 - p) ** self.focal_alpha
            + (t["valid"] - t["pos"]).clamp(min=0)
            * (1 - t["heat"]) ** self.focal_beta
            * p**self.focal_alpha
        )
        loss_scale = t["pos"] * F.smooth_l1_loss(scale[:, 0], t["scale"], reduction="none")
        loss_offset = t["pos"][:, None] * F.smooth_l1_loss(offset, t["offset"], reduction="none")
        w = self.loss_weights
        return dict(
            loss_center=w["center"] * (weight * bce).sum() / num_pos,
            loss_scale=w["scale"] * loss_scale.sum() / num_pos,
            loss_offset=w["offset"] * loss_offset.sum() / num_pos,
        )

    def predict_by_feat(
        self,
        center: Tensor,
        scale: Tensor,
        offset: Tensor,
        batch_img_metas: list[dict],
        cfg: dict | None = None,
        rescale: bool = False,
        **_: object,
    ) -> list[InstanceData]:
        """Threshold the heat-map, decode boxes, NMS; per image an ``InstanceData``."""
        cfg = cfg or self.test_cfg
        results = []
        for n, meta in enumerate(batch_img_metas):
            boxes, scores = csp_decode(
                center[n], scale[n], offset[n], self.stride, self.width_ratio
            )
            keep = scores > cfg["score_thr"]
            boxes, scores = boxes[keep], scores[keep]
            if cfg.get("nms_pre", -1) > 0 and scores.numel() > cfg["nms_pre"]:
                scores, top = scores.topk(cfg["nms_pre"])
                boxes = boxes[top]
            h, w = meta["img_shape"][:2]
            boxes = torch.stack(
                [boxes[:, 0].clamp(0, w), boxes[:, 1].clamp(0, h)]
                + [boxes[:, 2].clamp(0, w), boxes[:, 3].clamp(0, h)],
                dim=-1,
            )
            if rescale:
                boxes = boxes / boxes.new_tensor(meta["scale_factor"]).repeat(2)
            _, kept = nms(boxes, scores, cfg["nms"]["iou_threshold"])
            kept = kept[: cfg["max_per_img"]]
            results.append(
                InstanceData(
                    bboxes=boxes[kept],
                    scores=scores[kept],
                    labels=kept.new_zeros(kept.numel(), dtype=torch.long),
                )
            )
        return results
