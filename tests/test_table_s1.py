"""Table S1's pieces: the generated CityPersons tree, the one COCO converter, the detector latent
split (ranking over levels, zeroing at every level) and the table of miss rates."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from chanpos import mr
from chanpos.data.citypersons import (
    coco_to_annotations,
    make_citypersons_set,
    read_split,
    to_coco,
    write_citypersons,
)
from chanpos.latent import gap

CFG = {
    "pedestrians": [1, 4],
    "height_bands": [[20, 50], [50, 75], [75, 115]],
    "band_weights": [0.25, 0.35, 0.4],
    "occluded": 0.4,
    "heavy": 0.6,
    "group": 0.3,
    "poster": 0.3,
}


def _members(objects: list[dict]) -> dict[str, int]:
    """Pedestrians per evaluation setup (as chanpos.mr counts them) and ignore labels."""
    counts = dict.fromkeys([*mr.SETUPS, "ignore-labelled"], 0)
    for o in objects:
        if o["label"] != "pedestrian":
            counts["ignore-labelled"] += 1
            continue
        h, vis = o["bbox"][3], o["bboxVis"][3] / o["bbox"][3]
        for name, s in mr.SETUPS.items():
            counts[name] += (
                s.height[0] <= h <= s.height[1] and s.visibility[0] <= vis <= s.visibility[1]
            )
    return counts


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("cp") / "citypersons"
    splits = {
        "train": make_citypersons_set(6, 128, 256, CFG, 1),
        "val": make_citypersons_set(30, 128, 256, CFG, 2),
    }
    write_citypersons(root, splits)
    return root, splits


def test_generator_is_seeded_and_covers_every_setup_and_ignore_labels(tree):
    _, splits = tree
    again = make_citypersons_set(30, 128, 256, CFG, 2)
    assert all(
        np.array_equal(a[0], b[0]) and a[1] == b[1]
        for a, b in zip(again, splits["val"], strict=True)
    )
    assert not np.array_equal(make_citypersons_set(1, 128, 256, CFG, 3)[0][0], again[0][0])
    counts = _members([o for _, objects in splits["val"] for o in objects])
    assert all(counts[s] >= 3 for s in mr.SETUPS), counts
    assert counts["all"] > counts["reasonable"] > counts["small"]  # 20-50 px: All only
    labels = {o["label"] for _, objects in splits["val"] for o in objects}
    assert {"pedestrian", "person group", "ignore"} <= labels
    for image, objects in splits["val"]:
        assert image.shape == (128, 256, 3) and image.dtype == np.uint8
        for o in objects:
            x, y, w, h = o["bbox"]
            assert y >= 0 and y + h <= 128 and o["bboxVis"][:3] == o["bbox"][:3]
            assert 0 < o["bboxVis"][3] <= h
            if o["label"] == "pedestrian":
                assert w == pytest.approx(0.41 * h, abs=0.02)


def test_tree_layout_and_converter_round_trip(tree):
    root, splits = tree
    files = sorted((root / "gtBboxCityPersons" / "val").glob("*/*_gtBboxCityPersons.json"))
    assert len(files) == 30
    images = sorted((root / "leftImg8bit" / "val").glob("*/*_leftImg8bit.png"))
    assert [f.name.replace("leftImg8bit.png", "") for f in images] == [
        f.name.replace("gtBboxCityPersons.json", "") for f in files
    ]
    original = read_split(root, "val")
    coco = json.loads(json.dumps(to_coco(root, "val")))  # as written to disk
    assert [im["name"] for im in coco["images"]] == list(original)
    for im in coco["images"]:
        assert (root / im["file_name"]).is_file()
    back = coco_to_annotations(coco)
    for (name, ann), (_image_id, obj) in zip(original.items(), back.items(), strict=True):
        keep = [{k: o[k] for k in ("label", "bbox", "bboxVis")} for o in ann["objects"]]
        assert obj["objects"] == keep, name
    crowd = [a for a in coco["annotations"] if a["iscrowd"]]
    assert crowd and all(a["label"] != "pedestrian" for a in crowd)
    # the metric sees the same thing through either route: perfect detections score 0 MR
    dets = [
        (image_id, *o["bbox"], 1.0)
        for image_id, a in back.items()
        for o in a["objects"]
        if o["label"] == "pedestrian"
    ]
    assert all(v < 1e-3 for v in mr.evaluate(back, dets).values())
    assert mr.evaluate(dict(zip(back, original.values(), strict=True)), dets) == mr.evaluate(
        back, dets
    )


def test_missing_citypersons_names_what_and_where(tmp_path):
    with pytest.raises(FileNotFoundError, match="gtBboxCityPersons") as err:
        read_split(tmp_path, "val")
    assert "gtBbox_cityPersons_trainval.zip" in str(err.value) and str(tmp_path) in str(err.value)


def test_multi_level_gap_averages_the_levels():
    levels = (torch.ones(2, 3, 4, 4), 3 * torch.ones(2, 3, 2, 2))
    assert torch.equal(gap(levels), 2 * torch.ones(2, 3))
    assert torch.equal(gap(levels[0]), torch.ones(2, 3))


# ---------------------------------------------------------------- a real (tiny) mmdet detector


@pytest.fixture(scope="module")
def detector(tree):
    from chanpos.data.citypersons import write_coco
    from chanpos.detect.mmdet_models import build_detector, coco_dataset, load_config
    from tests.workflow import REPO

    torch.manual_seed(0)
    root, _ = tree
    write_coco(root, "val", root / "val.json")
    cfg = load_config(REPO / "configs/mmdet/faster_rcnn_hrnet_mini.py")
    model = build_detector(cfg).eval()
    return model, coco_dataset(cfg, root, root / "val.json", train=False)


def test_zeroing_none_changes_nothing_and_zeroing_some_does(detector):
    from chanpos.detect.attack import attack, batches, zeroed_neck

    model, dataset = detector
    dataset = torch.utils.data.Subset(dataset, range(4))
    variants = {("baseline", None): [], ("none", 0): [], ("some", 1): list(range(0, 32, 2))}
    out = attack(model, dataset, variants, 4, torch.device("cpu"))
    assert out[("baseline", None)] and out[("none", 0)] == out[("baseline", None)]
    assert out[("some", 1)] != out[("baseline", None)]
    inputs, samples, _ = next(batches(model, dataset, 4, torch.device("cpu")))
    with torch.no_grad():
        plain = model.extract_feat(inputs)
        with zeroed_neck(model, [3, 5]):  # the hook zeroes the same channels at every level
            hooked = model.extract_feat(inputs)
    assert len(hooked) == 5
    for a, b in zip(plain, hooked, strict=True):
        assert b[:, [3, 5]].abs().sum() == 0 and torch.equal(a[:, :3], b[:, :3])


def test_ranking_scores_every_neck_channel_over_all_levels(detector):
    from chanpos.detect.attack import attack_variants, rank_scores

    model, dataset = detector
    scores, shape = rank_scores(model, torch.utils.data.Subset(dataset, range(4)), 2, "cpu")
    assert shape == {"levels": 5, "channels": 32}
    assert scores.shape == (32,) and (scores >= 0).all() and scores.sum() > 0
    order = torch.argsort(scores, descending=True).tolist()
    v = attack_variants(order, 12, [0, 1, 2], 32)
    assert v[("targeted", None)] == order[:12] and v[("baseline", None)] == []
    randoms = [v[("random", s)] for s in (0, 1, 2)]
    assert all(len(set(r)) == 12 for r in randoms) and randoms[0] != randoms[1]


def test_table_rows_and_verdict():
    from chanpos.reports.table_s1 import targeted_vs_random, wide_table

    rows = []
    for variant, seed, value in [
        ("baseline", None, 0.3),
        ("targeted", None, 0.5),
        ("random", 0, 0.35),
        ("random", 1, 0.4),
    ]:
        for setup in mr.SETUPS:
            rows.append(
                {
                    "detector": "faster_rcnn",
                    "variant": variant,
                    "seed": seed,
                    "setup": setup,
                    "mr": value,
                }
            )
    long = pd.DataFrame(rows).astype({"seed": "Int64"})
    wide = wide_table(long)
    assert list(wide.variant) == ["baseline", "random", "targeted"]
    assert wide.loc[1, "All"] == "37.50 ± 3.54" and wide.loc[0, "All (paper)"] == 30.34
    verdict = targeted_vs_random(long)["faster_rcnn"]
    assert verdict["holds"] and verdict["targeted_rise"] == pytest.approx(0.2)
    long.loc[(long.variant == "random") & (long.seed == 1), "mr"] = 0.6
    assert not targeted_vs_random(long)["faster_rcnn"]["holds"]
