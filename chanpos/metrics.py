"""Segmentation metrics from a confusion matrix (mIoU as in StreamSegMetrics / Cityscapes)."""

from __future__ import annotations

import torch
from torch import Tensor

from chanpos.regions import REGIONS, region_columns

IGNORE_INDEX = 255


def confusion_matrix(
    pred: Tensor, target: Tensor, num_classes: int, ignore_index: int = IGNORE_INDEX
) -> Tensor:
    """(num_classes, num_classes) counts, rows = ground truth, columns = prediction."""
    keep = target != ignore_index
    t, p = target[keep].long(), pred[keep].long()
    idx = t * num_classes + p
    return torch.bincount(idx, minlength=num_classes**2).reshape(num_classes, num_classes)


def mean_iou(cm: Tensor) -> float:
    """Mean IoU over the classes present in ground truth or prediction."""
    cm = cm.double()
    inter = cm.diag()
    union = cm.sum(0) + cm.sum(1) - inter
    present = union > 0
    return float((inter[present] / union[present]).mean()) if present.any() else float("nan")


def pixel_accuracy(cm: Tensor) -> float:
    """Fraction of labelled pixels predicted correctly."""
    total = cm.sum()
    return float(cm.diag().sum() / total) if total > 0 else float("nan")


def region_confusion_matrices(
    pred: Tensor, target: Tensor, num_classes: int, regions: tuple[str, ...] = REGIONS
) -> dict[str, Tensor]:
    """Confusion matrices of (..., H, W) predictions restricted to each region's columns."""
    cols = {r: region_columns(target.shape[-1], r) for r in regions}
    return {r: confusion_matrix(pred[..., c], target[..., c], num_classes) for r, c in cols.items()}
