"""CityPersons MR^-2 on hand-built cases whose miss rates are known."""

import math

import numpy as np
import pytest

from chanpos.mr import FPPI_POINTS, SETUPS, evaluate, log_average, miss_rates

CLAMP = 1e-6  # the smallest miss rate (recall is clipped to 1 - 1e-6), a perfect detector's


def ped(x: float, h: float = 100, visible: float | None = None, label: str = "pedestrian"):
    """An object at (x, 10), 40 px wide, whose visible box is its top ``visible`` px."""
    visible = h if visible is None else visible
    return {"label": label, "bbox": [x, 10, 40, h], "bboxVis": [x, 10, 40, visible]}


def on(image, obj, score: float, dx: float = 0.0, h: float | None = None):
    """A detection of ``obj``'s box, shifted by ``dx`` or resized to height ``h``."""
    x, y, w, bh = obj["bbox"]
    return (image, x + dx, y, w, bh if h is None else h, score)


def test_perfect_detections_reach_the_clamp_in_every_setup():
    peds = [ped(0), ped(100, h=60), ped(200, visible=50), ped(300, h=30)]
    annotations = {"a": {"objects": [*peds, ped(400, label="rider")]}, "b": {"objects": []}}
    dets = [on("a", p, 1.0) for p in peds]
    assert evaluate(annotations, dets) == pytest.approx(dict.fromkeys(SETUPS, CLAMP))


def test_no_detections_miss_everything():
    annotations = {"a": {"objects": [ped(0), ped(100, h=60), ped(200, visible=50)]}}
    assert evaluate(annotations, []) == dict.fromkeys(SETUPS, 1.0)


def test_hand_computed_curve():
    """4 images (one empty), 4 pedestrians; in score order TP FP TP FP(duplicate) TP FP.

    FPPI after each detection: 0, .25, .25, .5, .5, .75; recall: 1/4, 1/4, 2/4, 2/4, 3/4, 3/4.
    Points <= .1778 admit 1 detection (miss rate 3/4), .3162 admits 3 (1/2), .5623 and 1 admit
    5 and 6 (1/4). With 3 images (the empty one not counted) .3162 would admit only 1.
    """
    a1, a2, b1, c1 = ped(0), ped(100), ped(0), ped(0)
    annotations = {"a": {"objects": [a1, a2]}, "b": {"objects": [b1]}, "c": {"objects": [c1]}}
    annotations["d"] = {"objects": []}
    dets = [
        on("a", a1, 0.9),
        on("d", a1, 0.8),
        on("b", b1, 0.7),
        on("b", b1, 0.6, dx=2),
        on("a", a2, 0.5),
        on("c", c1, 0.4, dx=30),  # IoU 10/70 with c1: a false positive, c1 is missed
    ]
    expected = np.array([0.75] * 6 + [0.5, 0.25, 0.25])
    assert FPPI_POINTS.tolist() == [0.01, 0.0178, 0.0316, 0.0562, 0.1, 0.1778, 0.3162, 0.5623, 1]
    np.testing.assert_allclose(miss_rates(annotations, dets, SETUPS["reasonable"]), expected)
    mr = (0.75**6 * 0.5 * 0.25**2) ** (1 / 9)
    assert evaluate(annotations, dets) == pytest.approx(
        {"reasonable": mr, "small": math.nan, "heavy": math.nan, "all": mr}, nan_ok=True
    )


@pytest.mark.parametrize("label", ["ignore", "rider", "sitting person", "person (other)"])
def test_a_detection_on_an_ignore_region_is_not_a_false_positive(label):
    """The detection covers a tenth of the region (IoU 0.1) but lies inside it (IoA 1)."""
    person, region = ped(0), {"label": label, "bbox": [200, 10, 400, 250], "bboxVis": [0] * 4}
    dets = [("a", 300, 50, 100, 100, 0.9), on("a", person, 0.5)]
    with_region = {"a": {"objects": [person, region]}}
    assert evaluate(with_region, dets)["reasonable"] == pytest.approx(CLAMP)
    without = {"a": {"objects": [person]}}  # the same detection is now the top false positive
    rates = miss_rates(without, dets, SETUPS["reasonable"])
    np.testing.assert_allclose(rates, [1.0] * 8 + [CLAMP])


@pytest.mark.parametrize(
    ("h", "visible", "counts_in"),
    [
        (19, 19, set()),
        (20, 20, {"all"}),
        (40, 40, {"all"}),  # small in height but below Small's 50 px: All only
        (50, 50, {"reasonable", "small", "all"}),
        (75, 75, {"reasonable", "small", "all"}),  # Small's range is [50, 75], inclusive
        (76, 76, {"reasonable", "all"}),
        (100, 65, {"reasonable", "heavy", "all"}),  # visibility 0.65 is in both ranges
        (100, 50, {"heavy", "all"}),
        (100, 20, {"heavy", "all"}),
        (100, 10, set()),
    ],
)
def test_which_setups_a_pedestrian_counts_in(h, visible, counts_in):
    """Missed alone, it gives MR 1 where it counts; elsewhere a setup has no ground truth (NaN)."""
    result = evaluate({"a": {"objects": [ped(0, h=h, visible=visible)]}}, [])
    assert {name for name, mr in result.items() if not math.isnan(mr)} == counts_in
    assert all(mr == 1.0 for name, mr in result.items() if name in counts_in)


def test_missing_the_small_pedestrians_changes_small_and_not_heavy():
    small, tall, heavy = ped(0, h=60), ped(100, h=120), ped(200, visible=40)
    annotations = {"a": {"objects": [small, tall, heavy]}}
    everything = [on("a", o, 0.9) for o in (small, tall, heavy)]
    missing_small = everything[1:]
    before, after = evaluate(annotations, everything), evaluate(annotations, missing_small)
    assert after["small"] == 1.0 and before["small"] == pytest.approx(CLAMP)
    assert after["heavy"] == before["heavy"] == pytest.approx(CLAMP)
    assert after["reasonable"] > before["reasonable"] and after["all"] > before["all"]


@pytest.mark.parametrize(
    ("setup", "person_h", "fp_h", "counted"),
    [
        ("reasonable", 100, 39.9, False),  # below 50 / 1.25 = 40: dropped
        ("reasonable", 100, 40, True),
        ("small", 60, 93.7, True),
        ("small", 60, 93.75, False),  # the upper end 75 * 1.25 is exclusive
    ],
)
def test_detections_outside_the_expanded_height_range_are_dropped(setup, person_h, fp_h, counted):
    person = ped(0, h=person_h)
    dets = [("a", 500, 10, 40, fp_h, 0.9), on("a", person, 0.5)]
    rates = miss_rates({"a": {"objects": [person]}}, dets, SETUPS[setup])
    np.testing.assert_allclose(rates, [1.0] * 8 + [CLAMP] if counted else [CLAMP] * 9)


@pytest.mark.parametrize(("det_h", "mr"), [(200, CLAMP), (201, 1.0)])
def test_iou_of_exactly_one_half_is_a_match(det_h, mr):
    """A detection twice the person's height over it: IoU 4000 / 8000; one pixel taller misses."""
    person = ped(0)
    assert evaluate({"a": {"objects": [person]}}, [on("a", person, 0.9, h=det_h)])["all"] == (
        pytest.approx(mr)
    )


def test_a_duplicate_detection_is_one_true_and_one_false_positive():
    """Score order TP, FP (duplicate), TP in one image: recall 1/2 until FPPI reaches 1."""
    p, q = ped(0), ped(100)
    dets = [on("a", p, 0.9), on("a", p, 0.8, dx=1), on("a", q, 0.7)]
    rates = miss_rates({"a": {"objects": [p, q]}}, dets, SETUPS["reasonable"])
    np.testing.assert_allclose(rates, [0.5] * 8 + [CLAMP])
    assert log_average(rates) == pytest.approx(math.exp((8 * math.log(0.5) + math.log(CLAMP)) / 9))


def test_a_confident_false_positive_on_few_images_leaves_the_low_fppi_points_missed():
    """With 2 images the first false positive has FPPI 0.5: below it no detection is admitted
    (miss rate 1), where the reference would read the final recall (``recall[-1]``)."""
    p, q = ped(0), ped(0)
    dets = [("a", 500, 10, 40, 100, 0.9), on("a", p, 0.8), on("b", q, 0.7)]
    rates = miss_rates({"a": {"objects": [p]}, "b": {"objects": [q]}}, dets, SETUPS["all"])
    np.testing.assert_allclose(rates, [1.0] * 7 + [CLAMP] * 2)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="'cyclist'"):
        evaluate({"a": {"objects": [ped(0, label="cyclist")]}}, [])
    with pytest.raises(ValueError, match="'z'"):
        evaluate({"a": {"objects": [ped(0)]}}, [("z", 0, 0, 10, 10, 1.0)])
