"""CityPersons log-average miss rate (MR^-2), the metric of the paper's Table S1.

Written from the behaviour of the evaluation the paper's models were scored with, Pedestron's
``tools/cityPerson/eval_MR_multisetup.py`` (``COCOeval._prepare``, ``computeIoU``/``iou``,
``evaluateImg``, ``accumulate``, ``summarize_nofile``, ``Params.setDetParams``), called per setup
by ``tools/cityPerson/eval_demo.py`` (``validate``) on COCO-style ground truth loaded with
``tools/cityPerson/coco.py`` (``COCO.loadRes``). Followed exactly:

* Ground truth: every object is evaluated; a ``"pedestrian"`` is a regular ground truth, every
  other label (rider, sitting person, person (other), person group, ignore region) is *ignore*,
  as ``ignore=1`` in the reference's ``val_gt.json`` (whose ``iscrowd`` flag the evaluator never
  reads). Height is the full box's height, visibility the visible box's area over the full
  box's area.
* A setup turns a ground truth into *ignore* when its height or visibility lies outside the
  setup's range; both ends are inclusive (a 75 px pedestrian is Small, visibility 0.65 is both
  Reasonable and Heavy).
* Per image, detections are sorted by descending score (stable), the top 1000 kept, then those
  whose height lies outside ``[h_min / 1.25, h_max * 1.25)`` dropped (neither true nor false
  positives). No aspect-ratio standardisation, no border filter and no expansion of ignore
  boxes (unlike the Caltech toolbox's ``squarify``/``xRng``).
* Overlap is IoU with a regular ground truth and intersection over the *detection's* area with
  an ignore one, at threshold 0.5 (inclusive). Each detection, in score order, takes the unmatched
  regular ground truth of highest overlap (ties: the last in annotation order); failing that, any
  ignore one it overlaps enough, and is then dropped; failing both, it is a false positive. An
  ignore ground truth can absorb any number of detections; a regular one only one.
* All detections are then sorted by score (stable: ties in image order, then detection order),
  the dropped ones removed, and recall = TP / regular ground truths and FPPI = FP / *all* images
  (images without objects count) accumulated. At each of the 9 reference FPPI points (the
  reference's 4-decimal values) the recall is that of the last detection with FPPI <= the point;
  it is clipped to ``1 - 1e-6`` (so a miss rate is at least 1e-6) and
  MR^-2 = exp(mean(log(miss rate))).

Deviations, where the reference fails or cannot mean what it computes:

* If no detection has FPPI <= a point, the reference reads ``recall[-1]`` (Python's last element,
  the *final* recall); here the recall is 0 (miss rate 1). This can only happen with fewer than
  100 images (the first false positive has FPPI 1 / images > 0.01), never on CityPersons val.
* No detections: the reference raises ``IndexError``; here every miss rate is 1.
* No regular ground truth in a setup: the reference returns -1; here NaN.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

FPPI_POINTS = np.array([0.0100, 0.0178, 0.0316, 0.0562, 0.1000, 0.1778, 0.3162, 0.5623, 1.0000])
IOU_THRESHOLD = 0.5
HEIGHT_MARGIN = 1.25  # detections are kept within [h_min / 1.25, h_max * 1.25)
MAX_DETECTIONS = 1000  # per image, highest scores first
MAX_RECALL = 1 - 1e-6
LABELS = ("pedestrian", "rider", "sitting person", "person (other)", "person group", "ignore")

Detection = tuple[Hashable, float, float, float, float, float]  # image id, x, y, w, h, score


@dataclass(frozen=True)
class Setup:
    """Ground truths outside these inclusive (min, max) ranges are ignored."""

    height: tuple[float, float]
    visibility: tuple[float, float]


SETUPS = {
    "reasonable": Setup((50, math.inf), (0.65, math.inf)),
    "small": Setup((50, 75), (0.65, math.inf)),
    "heavy": Setup((50, math.inf), (0.2, 0.65)),
    "all": Setup((20, math.inf), (0.2, math.inf)),
}


@dataclass(frozen=True)
class _Image:
    boxes: np.ndarray  # (G, 4) x, y, w, h
    visibility: np.ndarray  # (G,)
    ignore: np.ndarray  # (G,) bool: not a pedestrian


def _parse(annotation: Mapping[str, Any]) -> _Image:
    """One image's Cityscapes-style CityPersons annotation (``{"objects": [...]}``)."""
    objects = annotation["objects"]
    labels = [o["label"] for o in objects]
    if unknown := set(labels) - set(LABELS):
        raise ValueError(f"unknown CityPersons labels {sorted(unknown)}; expected {LABELS}")
    boxes = np.array([o["bbox"] for o in objects], dtype=float).reshape(-1, 4)
    ignore = np.array([label != "pedestrian" for label in labels], dtype=bool)
    visible = np.array(
        [o["bboxVis"] if not ig else (0, 0, 0, 0) for o, ig in zip(objects, ignore, strict=True)],
        dtype=float,
    ).reshape(-1, 4)
    area = boxes[:, 2] * boxes[:, 3]
    vis_area = visible[:, 2] * visible[:, 3]
    visibility = np.divide(vis_area, area, out=np.zeros_like(area), where=area > 0)
    return _Image(boxes, visibility, ignore)


def _overlaps(dets: np.ndarray, gts: np.ndarray, ignore: np.ndarray) -> np.ndarray:
    """(D, G): IoU with regular ground truths, intersection / detection area with ignore ones."""
    dx1, dy1, dw, dh = (dets[:, i, None] for i in range(4))
    gx1, gy1, gw, gh = (gts[None, :, i] for i in range(4))
    iw = np.minimum(dx1 + dw, gx1 + gw) - np.maximum(dx1, gx1)
    ih = np.minimum(dy1 + dh, gy1 + gh) - np.maximum(dy1, gy1)
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    d_area, g_area = dw * dh, gw * gh
    union = np.where(ignore[None, :], d_area, d_area + g_area - inter)
    return np.divide(inter, union, out=np.zeros_like(inter), where=inter > 0)


def _match(overlap: np.ndarray, ignore: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Greedy matching of score-ordered detections: (true positive, dropped) flags per row."""
    n_dets = overlap.shape[0]
    taken = np.zeros(overlap.shape[1], dtype=bool)
    tp, dropped = np.zeros(n_dets, dtype=bool), np.zeros(n_dets, dtype=bool)
    for d in range(n_dets):
        enough = overlap[d] >= IOU_THRESHOLD
        free = np.flatnonzero(enough & ~ignore & ~taken)
        if free.size:
            best = overlap[d, free]
            taken[free[best.size - 1 - np.argmax(best[::-1])]] = True  # last of the maxima
            tp[d] = True
        else:
            dropped[d] = bool((enough & ignore).any())
    return tp, dropped


def _group(
    detections: Iterable[Detection], images: Iterable[Hashable]
) -> dict[Hashable, tuple[np.ndarray, np.ndarray]]:
    """Per image: (boxes (D, 4), scores (D,)), sorted by descending score, top 1000."""
    rows: dict[Hashable, list[tuple[float, ...]]] = {image: [] for image in images}
    for image, *box_score in detections:
        if image not in rows:
            raise ValueError(f"detection on image {image!r}, which has no annotation")
        rows[image].append(tuple(box_score))
    grouped = {}
    for image, r in rows.items():
        a = np.array(r, dtype=float).reshape(-1, 5)
        order = np.argsort(-a[:, 4], kind="stable")[:MAX_DETECTIONS]
        grouped[image] = (a[order, :4], a[order, 4])
    return grouped


def miss_rates(
    annotations: Mapping[Hashable, Mapping[str, Any]],
    detections: Iterable[Detection],
    setup: Setup,
) -> np.ndarray:
    """Miss rate at each of the 9 :data:`FPPI_POINTS` for one setup (NaN if it has no ground truth).

    ``annotations`` maps every evaluated image id to its parsed ``*_gtBboxCityPersons.json``
    (``{"objects": [{"label", "bbox", "bboxVis"}, ...]}``, boxes as x, y, w, h); images without
    objects must be included, they count in the FPPI. Its order breaks score ties (the reference
    numbers the images by sorted file name). ``detections`` are ``(image id, x, y, w, h, score)``,
    with ``w = x2 - x1`` as Pedestron's ``tools/test_city_person.py`` writes them.
    """
    dets = _group(detections, annotations)
    (h_min, h_max), (v_min, v_max) = setup.height, setup.visibility
    scores, tps, n_gt = [], [], 0
    for image, annotation in annotations.items():
        gt = _parse(annotation)
        height = gt.boxes[:, 3]
        ignore = (
            gt.ignore
            | (height < h_min)
            | (height > h_max)
            | (gt.visibility < v_min)
            | (gt.visibility > v_max)
        )
        n_gt += int((~ignore).sum())
        boxes, score = dets[image]
        keep = (boxes[:, 3] >= h_min / HEIGHT_MARGIN) & (boxes[:, 3] < h_max * HEIGHT_MARGIN)
        boxes, score = boxes[keep], score[keep]
        tp, dropped = _match(_overlaps(boxes, gt.boxes, ignore), ignore)
        scores.append(score[~dropped])
        tps.append(tp[~dropped])
    if n_gt == 0:
        return np.full(len(FPPI_POINTS), np.nan)
    order = np.argsort(-np.concatenate(scores), kind="stable")
    tp = np.concatenate(tps)[order]
    recall = np.concatenate([[0.0], np.cumsum(tp) / n_gt])  # after 0, 1, 2, ... detections
    fppi = np.cumsum(~tp) / len(annotations)
    within = np.searchsorted(fppi, FPPI_POINTS, side="right")  # detections with FPPI <= point
    return 1 - np.clip(recall[within], 0, MAX_RECALL)


def log_average(rates: np.ndarray) -> float:
    """MR^-2: the geometric mean of the miss rates at the reference FPPI points."""
    return float(np.exp(np.mean(np.log(rates))))


def evaluate(
    annotations: Mapping[Hashable, Mapping[str, Any]],
    detections: Iterable[Detection],
    setups: Mapping[str, Setup] = SETUPS,
) -> dict[str, float]:
    """MR^-2 as a fraction in [0, 1] for each setup (default: Reasonable, Small, Heavy, All).

    Arguments as in :func:`miss_rates`.
    """
    detections = list(detections)
    return {
        name: log_average(miss_rates(annotations, detections, setup))
        for name, setup in setups.items()
    }
