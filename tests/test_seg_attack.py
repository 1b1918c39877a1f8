"""Eq. 2 ranking, channel zeroing, region mIoU, DeepLabv3 and its checkpoint, Cityscapes format."""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.datasets
from PIL import Image
from torch import Tensor, nn
from torchvision.models import resnet50
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.models.segmentation.deeplabv3 import ASPP

from chanpos.channels import (
    compare_rankings,
    flip_differences,
    overall_scores,
    random_channels,
    rank,
    read_ranking,
    side_scores,
    write_ranking,
)
from chanpos.checkpoints import load_checkpoint, save_checkpoint
from chanpos.data.cityscapes import (
    ID,
    ID_TO_TRAIN,
    LABELS,
    TRAIN_CLASSES,
    make_street_set,
    write_cityscapes,
)
from chanpos.data.cityscapes_dataset import CityscapesSegmentation
from chanpos.download import ChecksumError
from chanpos.latent import LatentSplit
from chanpos.metrics import confusion_matrix, mean_iou
from chanpos.metrics import region_confusion_matrices as region_cms
from chanpos.models.deeplab import DeepLabV3, from_vainf_state_dict, load_vainf_checkpoint
from chanpos.regions import REGIONS, region_columns
from chanpos.reports.seg_attack import combine_attacks, drop_table, relative_drops
from chanpos.seg_attack import (
    attack,
    attack_variants,
    rank_segmenter_channels,
)
from tests.test_models_metrics import _independent_miou

TINY_ARCH = {"layers": [1, 1, 1, 1], "width": 4, "aspp_channels": 8, "aspp_rates": [1, 2]}

# ---------------------------------------------------------------- Eq. 2 ranking


class PlantedEncoder(nn.Module):
    """Latent channels with known position behaviour, from the image's mean intensity ``c``:
    0 = ``c`` weighted towards the left edge, 1 = towards the right edge, 2 = towards the top
    (flip-invariant: hflip keeps rows), 3-7 = ``c`` times fixed gains (no position at all)."""

    def encode(self, x: Tensor) -> Tensor:
        c = x.mean(1, keepdim=True)
        w = torch.linspace(0, 1, x.shape[-1])
        h = torch.linspace(1, 0, x.shape[-2])[:, None]
        planted = [c * (1 - w), c * w, c * h]
        gains = [c * g for g in (0.5, 1.0, 2.0, 3.0, 4.0)]
        return torch.cat(planted + gains, dim=1)

    def head(self, z: Tensor) -> Tensor:
        return z


def _blobs(side: str, n: int, seed: int) -> Tensor:
    """Images with one bright square, in the left or right half (``any``: either)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 3, 16, 32)
    for i in range(n):
        lo, hi = {"left": (0, 12), "right": (16, 28), "any": (0, 28)}[side]
        col = int(torch.randint(lo, hi + 1, (), generator=gen))
        row = int(torch.randint(0, 12, (), generator=gen))
        x[i, :, row : row + 4, col : col + 4] = 1
    return x


def test_ranking_recovers_planted_position_channels():
    model = PlantedEncoder()
    assert isinstance(model, LatentSplit)
    diff = flip_differences(model, _blobs("any", 40, 0).split(8))
    scores = overall_scores(diff)
    assert set(rank(scores)[:2]) == {0, 1}  # the horizontal position channels come first
    assert torch.allclose(scores[2:], torch.zeros(6), atol=1e-6)  # hflip leaves the rest alone
    diff = flip_differences(model, [_blobs("left", 20, 1), _blobs("right", 20, 2)])
    left = side_scores(diff, torch.tensor([1] * 20 + [-1] * 20))
    assert rank(left)[0] == 0 and rank(left)[-1] == 1  # fires more with the square on the left
    assert torch.equal(side_scores(diff, torch.tensor([1] * 20 + [0] * 20)), diff[:20].mean(0))


def test_side_rankings_orient_each_image_by_where_its_people_are():
    """Every image also has a bright band at its right edge (a fixed layout), which outweighs
    the square: the unoriented signed score of the images with the square on the left follows
    the band; oriented by the square's side, the band cancels between the two sides."""
    x = torch.cat([_blobs("left", 12, 1), _blobs("right", 12, 2)])
    masks = torch.where(x[:, 0] == 1, TRAIN_CLASSES.index("person"), 255)
    x[..., 30:] = 3.0
    loader = list(zip(x.split(8), masks.split(8), strict=True))
    ranked = rank_segmenter_channels(PlantedEncoder(), loader, ["person"], 0.75, "cpu")
    assert ranked["sets"] == {"left": list(range(12)), "right": list(range(12, 24))}
    assert rank(ranked["scores"]["left"])[0] == 0 and rank(ranked["scores"]["right"])[0] == 1
    assert torch.equal(ranked["scores"]["right"], -ranked["scores"]["left"])
    assert rank(flip_differences(PlantedEncoder(), [x[:12]]).mean(0))[0] == 1  # the band's side
    with pytest.raises(ValueError, match="in one half"):
        rank_segmenter_channels(PlantedEncoder(), loader, ["rider"], 0.75, "cpu")


def test_rankings_round_trip_in_the_authors_shape_and_compare(tmp_path):
    order = rank(torch.tensor([0.1, 0.5, 0.3, 0.2]))
    assert order == [1, 2, 3, 0]
    write_ranking(tmp_path / "r.json", "overall", order)
    assert (tmp_path / "r.json").read_text() == '{"overall": [1, 2, 3, 0]}'
    assert read_ranking(tmp_path / "r.json") == order
    reference = Path(__file__).parent.parent / "reference" / "deeplabv3_resnet50"
    theirs = read_ranking(
        reference / "ordered_positional_encoding_neurons_absolute_difference.json"
    )
    assert theirs[:3] == [1540, 111, 157] and sorted(theirs) == list(range(2048))
    assert compare_rankings(theirs, theirs) == {
        "spearman": pytest.approx(1.0),
        "top100_overlap": 100,
    }
    flipped = compare_rankings(theirs, theirs[::-1])
    assert flipped["spearman"] == pytest.approx(-1.0) and flipped["top100_overlap"] == 0
    with pytest.raises(ValueError, match="same channels"):
        compare_rankings([0, 1], [0, 2])


def test_random_draws_are_nested_in_n_and_differ_by_seed():
    a, b = random_channels(64, 0), random_channels(64, 1)
    assert sorted(a) == list(range(64)) and a != b and a == random_channels(64, 0)
    variants = attack_variants({"overall": list(range(64))}, [0, 4, 8], [0, 1], 64)
    assert variants[("overall", 4, None)] == [0, 1, 2, 3]
    assert variants[("random", 8, 1)][:4] == variants[("random", 4, 1)] == b[:4]
    assert variants[("random", 0, 0)] == []


# ---------------------------------------------------------------- DeepLabv3 and zeroing


def _tiny_deeplab(seed: int = 0) -> DeepLabV3:
    torch.manual_seed(seed)
    model = DeepLabV3(19, **TINY_ARCH)
    for m in model.modules():  # non-trivial batch-norm statistics
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return model.eval()


def test_deeplabv3_latent_split_and_output_stride():
    model = _tiny_deeplab()
    x = torch.randn(2, 3, 64, 128)
    with torch.no_grad():
        z = model.encode(x)
        assert z.shape == (2, 32 * 4, 4, 8)  # output stride 16, 32 * width channels
        assert torch.equal(model.head(z, (64, 128)), model(x))
        assert model(x).shape == (2, 19, 64, 128)


def test_zeroing_no_channels_leaves_the_outputs_unchanged():
    model = _tiny_deeplab()
    x = torch.randn(3, 3, 32, 64)
    y = torch.randint(0, 19, (3, 32, 64))
    with torch.no_grad():
        baseline = model(x).argmax(1)
    channels = model.backbone.out_channels
    variants = attack_variants({"overall": list(range(channels))}, [0, 16], [0], channels)
    long = attack(model, [(x, y)], variants, torch.device("cpu"))
    expected = {r: mean_iou(cm) for r, cm in region_cms(baseline, y, 19).items()}
    for _, row in long[long.n == 0].iterrows():
        assert row.miou == expected[row.region]
    assert set(long.columns) == {"ranking", "n", "seed", "region", "miou"}
    assert long.loc[long.ranking == "overall", "seed"].isna().all()
    assert len(long) == (2 + 2) * len(REGIONS)
    zeroed = long[(long.n == 16) & (long.region == "overall")].miou
    assert (zeroed != expected["overall"]).all()  # zeroing 16 of 128 channels changes something


def test_relative_drops_use_each_segmenters_unzeroed_model_as_baseline():
    import pandas as pd

    long = pd.DataFrame(
        {
            "model": ["seed0"] * 4 + ["seed1"] * 4,
            "ranking": ["left"] * 8,
            "n": [0, 0, 8, 8] * 2,
            "seed": [None] * 8,
            "region": ["left", "right", "left", "right"] * 2,
            "miou": [0.8, 0.5, 0.6, 0.5, 0.4, 0.5, 0.1, 0.25],
        }
    )
    drops = relative_drops(long, "left").set_index(["model", "region"]).relative_drop
    assert drops["seed0", "left"] == pytest.approx(0.25) and drops["seed0", "right"] == 0.0
    assert drops["seed1", "left"] == pytest.approx(0.75) and drops["seed1", "right"] == 0.5
    table = drop_table(relative_drops(long, "left"))
    assert table.loc[0, "left half drop (%)"] == "50.0 ± 35.4 (n=2)"


def test_attack_tables_combine_with_a_model_column(tmp_path):
    import pandas as pd

    rows = {
        "ranking": ["random", "overall"],
        "n": [8, 8],
        "seed": [3, None],
        "region": ["left"] * 2,
    }
    for model, miou in (("seed0", [0.5, 0.4]), ("seed1", [0.6, 0.3])):
        pd.DataFrame({**rows, "miou": miou}).to_csv(tmp_path / f"{model}.csv", index=False)
    long = combine_attacks({m: tmp_path / f"{m}.csv" for m in ("seed0", "seed1")})
    assert list(long.columns) == ["model", "ranking", "n", "seed", "region", "miou"]
    assert list(long.model) == ["seed0", "seed0", "seed1", "seed1"]
    assert long.seed.isna().tolist() == [False, True, False, True]


# ---------------------------------------------------------------- region mIoU


def test_regions_are_the_authors_columns():
    assert region_columns(2048, "left") == slice(0, 1024)
    assert region_columns(2048, "right") == slice(1024, 2048)
    assert region_columns(2048, "center") == slice(512, 1536)
    assert region_columns(2048, "overall") == slice(0, 2048)
    with pytest.raises(ValueError, match="unknown region"):
        region_columns(8, "top")


def test_region_miou_on_known_cases():
    target = torch.tensor([[0, 0, 1, 1, 2, 2, 1, 255]])
    pred = torch.tensor([[0, 0, 1, 1, 2, 0, 0, 0]])
    cms = region_cms(pred, target, 3)
    assert mean_iou(cms["left"]) == 1.0  # columns 0-3 are all right
    # right (columns 4-7): class 0 inter 0 / union 2, class 1 0 / 1, class 2 1 / 2
    assert mean_iou(cms["right"]) == pytest.approx((0 + 0 + 0.5) / 3)
    # centre (columns 2-5): class 0 0 / 1, class 1 2 / 2, class 2 1 / 2
    assert mean_iou(cms["center"]) == pytest.approx((0 + 1 + 0.5) / 3)
    assert torch.equal(cms["overall"], confusion_matrix(pred, target, 3))


def test_region_miou_matches_the_authors_masking():
    """The authors mask the other columns to an ignored label; slicing is the same."""
    rng = np.random.default_rng(0)
    target = rng.integers(0, 5, (2, 12, 32))
    target[rng.random(target.shape) < 0.1] = 255
    pred = np.where(rng.random(target.shape) < 0.7, target % 255, rng.integers(0, 5, target.shape))
    cms = region_cms(torch.from_numpy(pred), torch.from_numpy(target), 5)
    for region, (lo, hi) in {"left": (0, 16), "right": (16, 32), "center": (8, 24)}.items():
        masked = target.copy()
        masked[..., :lo] = 255
        masked[..., hi:] = 255
        assert mean_iou(cms[region]) == pytest.approx(_independent_miou(pred, masked, 5))


# ---------------------------------------------------------------- the authors' checkpoint


class VainFHead(nn.Module):
    """DeepLabV3Plus-Pytorch's ``DeepLabHead`` layout: ``classifier.<i>`` inside ``classifier``."""

    def __init__(self) -> None:
        super().__init__()
        self.classifier = nn.Sequential(
            ASPP(2048, [6, 12, 18]),
            nn.Conv2d(256, 256, 3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 19, 1),
        )

    def forward(self, features: OrderedDict) -> Tensor:
        return self.classifier(features["out"])


class VainFDeepLabV3(nn.Module):
    """``network.deeplabv3_resnet50(num_classes=19, output_stride=16)`` of DeepLabV3Plus-Pytorch."""

    def __init__(self) -> None:
        super().__init__()
        backbone = resnet50(weights=None, replace_stride_with_dilation=[False, False, True])
        self.backbone = IntermediateLayerGetter(backbone, {"layer4": "out"})
        self.classifier = VainFHead()

    def forward(self, x: Tensor) -> Tensor:
        out = self.classifier(self.backbone(x))
        return nn.functional.interpolate(out, x.shape[-2:], mode="bilinear", align_corners=False)


def test_authors_checkpoint_layout_maps_onto_deeplabv3(tmp_path):
    torch.manual_seed(0)
    theirs = VainFDeepLabV3().eval()
    for m in theirs.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
    blob = {  # as their save_ckpt writes it, numpy best_score included
        "cur_itrs": 30000,
        "model_state": theirs.state_dict(),
        "optimizer_state": {"state": {}, "param_groups": []},
        "best_score": np.float64(0.72),
    }
    torch.save(blob, tmp_path / "best_deeplabv3_resnet50_cityscapes_os16.pth")
    arch = {"layers": [3, 4, 6, 3], "width": 64, "aspp_channels": 256, "aspp_rates": [6, 12, 18]}
    ours = load_vainf_checkpoint(
        tmp_path / "best_deeplabv3_resnet50_cityscapes_os16.pth", DeepLabV3(19, **arch)
    ).eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        assert torch.allclose(ours(x), theirs(x), atol=1e-5)
    prefixed = {f"module.{k}": v for k, v in theirs.state_dict().items()}
    assert from_vainf_state_dict(prefixed).keys() == ours.state_dict().keys()
    save_checkpoint(tmp_path / "ours.pt", ours, "deeplabv3", num_classes=19, **arch)
    with torch.no_grad():
        assert torch.equal(load_checkpoint(tmp_path / "ours.pt").eval()(x), ours(x))


# ---------------------------------------------------------------- Cityscapes format


def test_labels_match_torchvision_and_the_19_train_classes():
    official = {c.id: c.train_id for c in torchvision.datasets.Cityscapes.classes if c.id >= 0}
    assert {label_id: train for _, label_id, train in LABELS} == official
    assert (
        len(TRAIN_CLASSES) == 19 and TRAIN_CLASSES[0] == "road" and TRAIN_CLASSES[-1] == "bicycle"
    )
    assert ID_TO_TRAIN[ID["person"]] == TRAIN_CLASSES.index("person") and ID_TO_TRAIN[1] == 255


def test_street_scenes_are_seeded_and_laid_out_like_streets():
    pairs = make_street_set(20, 64, 128, seed=5)
    again = make_street_set(20, 64, 128, seed=5)
    assert all(
        np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        for a, b in zip(pairs, again, strict=True)
    )
    labels = np.stack([p[1] for p in pairs])
    assert labels.dtype == np.uint8 and set(np.unique(labels)) <= {i for _, i, _ in LABELS}
    rows = lambda name: np.nonzero((labels == ID[name]).any(axis=(0, 2)))[0]  # noqa: E731
    assert rows("sky").mean() < rows("road").mean()  # sky above, road below
    assert (labels[:, -1] == ID["ego vehicle"]).all()  # the bonnet on the bottom row
    for name in ("road", "sidewalk", "building", "vegetation", "terrain", "person", "car"):
        assert (labels == ID[name]).any(), name


def test_street_scenes_are_left_right_asymmetric_like_right_hand_traffic():
    # Driving in the right-hand lane: the oncoming lane widens the road to the left of the
    # centre, while the near sidewalk, facades and most people are on the right.
    labels = np.stack([p[1] for p in make_street_set(40, 48, 96, seed=6)])
    half = labels.shape[-1] // 2

    def right_share(name: str) -> float:
        mask = labels == ID[name]
        return mask[..., half:].sum() / mask.sum()

    assert right_share("road") < 0.45
    for name in ("sidewalk", "building", "person"):
        assert right_share(name) > 0.6, name


def test_cityscapes_tree_round_trip_and_torchvision_reads_it(tmp_path):
    pairs = make_street_set(6, 32, 64, seed=1)
    write_cityscapes(tmp_path / "cs", {"train": pairs[:3], "val": pairs[3:]})
    files = sorted((tmp_path / "cs" / "leftImg8bit" / "val").glob("*/*.png"))
    assert [f.parent.name for f in files] == ["frankfurt", "lindau", "munster"]
    assert files[0].name == "frankfurt_000000_000019_leftImg8bit.png"
    data = CityscapesSegmentation(tmp_path / "cs", "val")
    assert len(data) == 3 and data.names[0] == "frankfurt_000000_000019"
    reference = torchvision.datasets.Cityscapes(str(tmp_path / "cs"), "val", target_type="semantic")
    for k, path in enumerate(reference.images):  # torchvision lists folders unsorted
        i = data.names.index(Path(path).name.removesuffix("_leftImg8bit.png"))
        image, label_ids = reference[k]
        assert np.array_equal(np.array(image), pairs[3 + i][0])
        assert np.array_equal(np.array(label_ids), pairs[3 + i][1])
        x, y = data[i]
        assert x.shape == (3, 32, 64)
        assert torch.equal(y, torch.from_numpy(ID_TO_TRAIN[pairs[3 + i][1]]).long())
    with Image.open(data.label_path(0)) as f:
        assert f.mode == "L"


def test_missing_cityscapes_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        CityscapesSegmentation(tmp_path / "nowhere", "val")
    text = str(err.value)
    assert "cityscapes-dataset.com" in text and "CITYSCAPES_USERNAME" in text
    assert "leftImg8bit_trainvaltest.zip" in text and str(tmp_path / "nowhere") in text


def test_cityscapes_download_gives_csdownload_the_credentials_without_a_prompt(
    tmp_path, monkeypatch
):
    import hashlib
    import stat

    import chanpos.data.cityscapes as cs

    monkeypatch.delenv("CITYSCAPES_USERNAME", raising=False)
    with pytest.raises(RuntimeError, match="CITYSCAPES_USERNAME"):
        cs.download_packages(tmp_path / "dl")
    # a stand-in csDownload: reads its credentials file as cityscapesscripts does, fails on a
    # prompt (stdin closed), writes each requested package
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "csDownload"
    fake.write_text(
        "#!/usr/bin/env python3\n"
        "import json, os, sys\n"
        "cred = json.load(open(os.path.join(os.environ['XDG_DATA_HOME'], 'cityscapesscripts',"
        " 'credentials.json')))\n"
        "assert cred == {'username': 'ann', 'password': 'pw'}, cred\n"
        "assert sys.stdin.read() == ''\n"
        "dest = sys.argv[2]\n"
        "for name in sys.argv[3:]:\n"
        "    open(os.path.join(dest, name), 'w').write('archive ' + name)\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("CITYSCAPES_USERNAME", "ann")
    monkeypatch.setenv("CITYSCAPES_PASSWORD", "pw")
    pins = {n: hashlib.md5(f"archive {n}".encode()).hexdigest() for n in cs.PACKAGES}
    monkeypatch.setattr(cs, "PACKAGES", pins)
    cs.download_packages(tmp_path / "dl")
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == sorted(pins)
    monkeypatch.setattr(cs, "PACKAGES", {n: "0" * 32 for n in pins})
    with pytest.raises(ChecksumError, match="gtFine_trainvaltest.zip"):
        cs.download_packages(tmp_path / "dl")
