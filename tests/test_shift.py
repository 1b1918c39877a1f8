"""Table 2 / Fig. S2 library: consistency cases, AugShift loss, resume, DDP, weight import."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch
from PIL import Image
from torch import Tensor, nn
from torch.utils.data import TensorDataset

import chanpos.fit
from chanpos.augshift import CropBatch, ShiftCrops, augshift_loss, latent_mse
from chanpos.checkpoints import load_checkpoint
from chanpos.consistency import consistency, crop_windows, shift_offsets, zhang_offsets
from chanpos.data.cache import MemoryCache
from chanpos.data.imagefolder import synthetic_wnids, write_imagefolder
from chanpos.data.imagefolder_dataset import decode_rgb
from chanpos.data.synthetic import make_classification_set
from chanpos.download import ChecksumError
from chanpos.encoders import normalise, normalise_batch
from chanpos.fit import Schedule, fit
from chanpos.models.shift_resnet import ShiftResNet, build_resnet, import_published
from chanpos.shift import train_shift_model

VIEW, CROP = 24, 20  # offsets 0..4 per axis


def coordinate_views(n: int, view: int = VIEW) -> list[tuple[Tensor, Tensor]]:
    """Views whose channel 0 holds the row index and channel 1 the column index of each pixel."""
    rows = torch.arange(view, dtype=torch.float32).view(view, 1).expand(view, view)
    x = torch.stack([rows, rows.T, torch.zeros(view, view)]).expand(n, 3, view, view)
    return [(x[i : i + 100], torch.zeros(len(x[i : i + 100]))) for i in range(0, n, 100)]


class Constant(nn.Module):
    """Ignores its input."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.tensor([[0.0, 1.0]]).expand(len(x), 2)


class ReadsPosition(nn.Module):
    """Predicts the crop's absolute top-left position: its row (and column) offset."""

    def __init__(self, use_column: bool) -> None:
        super().__init__()
        self.use_column = use_column

    def forward(self, x: Tensor) -> Tensor:
        cls = x[:, 0, 0, 0].long() * (VIEW if self.use_column else 1)
        cls = cls + (x[:, 1, 0, 0].long() if self.use_column else 0)
        return nn.functional.one_hot(cls, VIEW * VIEW).float()


def _consistency(model: nn.Module, sampler, n: int = 2000) -> float:
    result = consistency(model, coordinate_views(n), CROP, {"k": sampler}, passes=2, seed=0)
    return float(np.mean(result["k"]))


def test_a_model_that_ignores_the_input_is_fully_consistent():
    assert _consistency(Constant(), zhang_offsets(VIEW - CROP)) == 1.0
    assert _consistency(Constant(), shift_offsets(VIEW - CROP, 3)) == 1.0


def test_a_model_reading_the_absolute_position_scores_what_the_construction_implies():
    m = VIEW - CROP  # Zhang: offsets uniform in [0, m) per axis
    assert _consistency(ReadsPosition(True), zhang_offsets(m)) == pytest.approx(1 / m**2, abs=0.02)
    assert _consistency(ReadsPosition(False), zhang_offsets(m)) == pytest.approx(1 / m, abs=0.03)
    # Exact shifts along a random axis: never the same position; the same row half the time.
    assert _consistency(ReadsPosition(True), shift_offsets(m, 2)) == 0.0
    assert _consistency(ReadsPosition(False), shift_offsets(m, 2)) == pytest.approx(0.5, abs=0.03)


@pytest.mark.parametrize("shift", [1, 3, 4])
def test_shift_pairs_are_exactly_s_apart_along_one_axis_and_fit(shift):
    first, second = shift_offsets(4, shift)(500, torch.Generator().manual_seed(0))
    diff = (second - first).abs()
    assert ((diff.sum(1) == shift) & (diff.min(1).values == 0)).all()
    assert first.min() >= 0 and second.max() <= 4
    x = torch.randn(500, 3, CROP + 4, CROP + 4)
    assert crop_windows(x, second, CROP).shape == (500, 3, CROP, CROP)
    with pytest.raises(ValueError, match="shift must be in"):
        shift_offsets(4, 5)


@torch.no_grad()
def test_augshift_loss_is_cross_entropy_for_identical_crops_and_more_otherwise():
    torch.manual_seed(0)
    net = CropBatch(ShiftResNet("resnet10", 1, num_classes=3))
    y = torch.tensor([0, 1, 2, 0])
    one = torch.randn(4, 1, 3, 32, 32)
    same = net(one.expand(4, 2, 3, 32, 32))
    assert latent_mse(same[1]) == 0
    ce = nn.functional.cross_entropy(same[0], y.repeat_interleave(2))
    assert augshift_loss(same, y, lam=1.0) == pytest.approx(float(ce))
    other = net(torch.cat([one, torch.randn(4, 1, 3, 32, 32)], dim=1))
    assert latent_mse(other[1]) > 0
    ce = nn.functional.cross_entropy(other[0], y.repeat_interleave(2))
    assert augshift_loss(other, y, lam=1.0) > ce
    assert augshift_loss(other, y, lam=0.0) == pytest.approx(float(ce))


def test_translate_crops_are_windows_of_one_view():
    image = torch.from_numpy(make_classification_set(1, 32, seed=0)[0][0]).permute(2, 0, 1)
    crops = ShiftCrops(2, 24, 28)(image)
    assert crops.shape == (2, 3, 24, 24) and crops.dtype == torch.uint8
    same = ShiftCrops(2, 24, 24)(image)  # view == crop: nowhere to shift
    assert torch.equal(same[0], same[1])
    assert ShiftCrops(2, 24, 28, "random_resized")(image).shape == (2, 3, 24, 24)


def test_images_decoded_as_tensors_and_normalised_per_batch_match_the_pil_pipeline(tmp_path):
    images, labels = make_classification_set(4, 32, seed=0)
    write_imagefolder(tmp_path, "val", images, labels, synthetic_wnids(10))
    paths = sorted(str(p) for p in (tmp_path / "val").rglob("*.JPEG"))
    batch = torch.stack([decode_rgb(p) for p in paths])
    assert batch.dtype == torch.uint8 and batch.shape == (4, 3, 32, 32)
    pil = torch.stack([normalise()(Image.open(p).convert("RGB")) for p in paths])
    assert torch.allclose(normalise_batch()(batch), pil, atol=1e-6)


def test_memory_cache_reads_each_image_once_while_it_fits_and_crops_leave_it_unchanged(
    tmp_path,
):
    images, labels = make_classification_set(3, 32, seed=0)
    write_imagefolder(tmp_path, "train", images, labels, synthetic_wnids(10))
    paths = sorted(str(p) for p in (tmp_path / "train").rglob("*.JPEG"))
    reads: list[str] = []

    def load(path: str) -> Tensor:
        reads.append(path)
        return decode_rgb(path)

    cache = MemoryCache(load, max_bytes=2 * 3 * 32 * 32)  # room for two of the three images
    crops = ShiftCrops(2, 24, 28, scale=(0.35, 1.0))
    for _epoch in range(3):
        for path in paths:
            image = cache(path)
            kept = image.clone()
            crops(image)
            assert torch.equal(image, kept)  # a cached image must survive its transform
            assert torch.equal(image, decode_rgb(path))
    assert reads == paths + [paths[2]] * 2  # two cached, the third read on every epoch


def _tiny_fit(resume, key="run", init_seed=0) -> tuple[nn.Module, list[float]]:
    torch.manual_seed(init_seed)
    model = ShiftResNet("resnet10", 1, num_classes=2)
    g = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.randn(16, 1, 3, 16, 16, generator=g), torch.arange(16) % 2)
    schedule = Schedule(epochs=3, batch_size=8, lr=0.05, weight_decay=1e-4, seed=0)
    losses = fit(
        CropBatch(model),
        data,
        lambda o, y: augshift_loss(o, y, 0.0),
        schedule,
        torch.device("cpu"),
        resume,
        key,
    )
    return model, losses


def test_training_resumes_from_its_last_epoch_and_matches_an_uninterrupted_run(
    tmp_path, monkeypatch
):
    full, full_losses = _tiny_fit(tmp_path / "a.resume")
    calls = []
    original = chanpos.fit.train_epochs

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the job dies during its third epoch
        return original(*args, **kwargs)

    monkeypatch.setattr(chanpos.fit, "train_epochs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _tiny_fit(tmp_path / "b.resume")
    assert torch.load(tmp_path / "b.resume", weights_only=True)["epoch"] == 2
    monkeypatch.setattr(chanpos.fit, "train_epochs", original)
    resumed, losses = _tiny_fit(tmp_path / "b.resume", init_seed=1)  # weights come from the file
    assert losses == pytest.approx(full_losses)
    for (name, a), b in zip(full.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.allclose(a.float(), b.float()), name
    _, fresh = _tiny_fit(tmp_path / "b.resume", key="other run")  # another run's file is ignored
    assert len(fresh) == 3


def _tiny_imagenet(root):
    wnids = synthetic_wnids(2)
    for split, n, seed in [("train", 16, 0), ("val", 4, 1)]:
        write_imagefolder(root, split, *make_classification_set(n, 32, seed, 2), wnids)


CFG = {
    "arch": "resnet10",
    "width": 16,
    "view": 28,
    "crop": 24,
    "train": {
        "epochs": 2,
        "batch_size": 8,
        "lr": 0.05,
        "weight_decay": 1e-4,
        "scale": [0.35, 1.0],
        "workers": 0,
        "cache_mb": 1,
    },
    "augshift": {"lam": 1.0, "crop_scheme": "translate"},
    "eval": {"passes": 2, "shift_passes": 1, "shifts": [1, 4], "batch_size": 4, "workers": 0},
}


def test_ddp_training_on_two_cpu_processes_with_gloo(tmp_path):
    _tiny_imagenet(tmp_path / "imagenet")
    outputs = tuple(str(tmp_path / f) for f in ("m.pt", "m.json", "run.json", "m.resume"))
    cpus = [torch.device("cpu")] * 2  # one process per device, as for a job holding two GPUs
    train_shift_model(
        tmp_path / "imagenet", "augshift", 0, CFG, cpus, outputs, {"config_hash": "x"}
    )
    model = load_checkpoint(tmp_path / "m.pt")
    assert model.backbone.fc.out_features == 2
    result = json.loads((tmp_path / "m.json").read_text())
    assert result["provenance"]["world_size"] == 2 and len(result["train_loss"]) == 2
    run = json.loads((tmp_path / "run.json").read_text())  # evaluated by the same call
    assert run["model"] == "augshift" and 0 <= run["top1"] <= 1
    assert set(run["shift_consistency"]) == {"1", "4"} and len(run["consistency_passes"]) == 2
    assert not (tmp_path / "m.resume").exists()


@pytest.mark.parametrize("filter_size", [1, 2])
def test_published_weights_load_and_their_sha256_is_checked(tmp_path, filter_size):
    torch.manual_seed(0)
    net = build_resnet("resnet10", filter_size)
    state = net.state_dict() if filter_size == 1 else {"state_dict": net.state_dict()}
    path = tmp_path / "w.pth"
    torch.save(state, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for pin in (digest, digest[:8]):
        model, got = import_published(path, pin, "resnet10", filter_size)
        assert got == digest
        assert torch.equal(model.backbone.conv1.weight, net.conv1.weight)
    with pytest.raises(ChecksumError, match="w.pth"):
        import_published(path, "0" * 8, "resnet10", filter_size)


@pytest.mark.parametrize("arch", ["resnet10", "resnet50"])
@pytest.mark.parametrize("filter_size", [1, 2])
def test_a_narrower_resnet_is_the_library_network_at_other_widths(arch, filter_size):
    library = build_resnet(arch, filter_size, num_classes=3)
    wide = build_resnet(arch, filter_size, num_classes=3, width=64)
    narrow = build_resnet(arch, filter_size, num_classes=3, width=16)
    rebuilt = ShiftResNet(arch, filter_size, num_classes=3, width=16).backbone  # same builder
    # The narrow builder, run at the libraries' width, reproduces their module tree and output ...
    scaled = type(narrow)(
        "torchvision" if filter_size == 1 else "antialiased_cnns",
        type(library.layer1[0]),
        [len(stage) for stage in (library.layer1, library.layer2, library.layer3, library.layer4)],
        3,
        64,
        filter_size,
    )
    names = [(n, type(m).__name__) for n, m in library.named_modules()][1:]
    assert [(n, type(m).__name__) for n, m in scaled.named_modules()][1:] == names
    scaled.load_state_dict(library.state_dict())
    x = torch.randn(2, 3, 40, 40)
    with torch.no_grad():
        assert torch.allclose(scaled.eval()(x), library.eval()(x), atol=1e-6)
    # ... and width scales every stage, the BlurPool layers included.
    assert type(wide) is type(library)
    assert narrow.layer4[-1].conv1.in_channels * 64 == library.layer4[-1].conv1.in_channels * 16
    assert narrow.fc.in_features * 4 == library.fc.in_features
    blurs = [m.channels for m in narrow.modules() if type(m).__name__ == "BlurPool"]
    assert (len(blurs) > 0) == (filter_size > 1)
    assert set(blurs) <= {16 * 2**i * k for i in range(4) for k in (1, 4)}
    assert rebuilt.fc.in_features == narrow.fc.in_features
    with pytest.raises(ValueError, match="width"):
        build_resnet(arch, filter_size, width=0)
