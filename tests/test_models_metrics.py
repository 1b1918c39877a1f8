"""Models behind the latent split, checkpoints and the segmentation metrics."""

import numpy as np
import pytest
import torch
from torchvision.models import resnet18
from torchvision.models.resnet import BasicBlock as TorchvisionBlock

from chanpos.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from chanpos.encoders import import_torchvision_resnet18
from chanpos.latent import LatentSplit
from chanpos.metrics import confusion_matrix, mean_iou, pixel_accuracy
from chanpos.models.cifar_resnet import BasicBlock, CifarResNet18
from chanpos.models.resnet import ResNetClassifier, ResNetSegmenter


def test_cifar_resnet18_matches_the_authors_geometry():
    net = CifarResNet18(width=8)
    z = net(torch.randn(2, 3, 96, 96))
    assert z.shape == (2, 64, 6, 6)  # 96x96 -> 6x6, as in the paper's GAPNet
    assert net.stem[0].kernel_size == (7, 7) and net.stem[0].stride == (2, 2)
    assert not any(isinstance(m, torch.nn.MaxPool2d) for m in net.modules())


def test_basic_block_is_torchvisions():
    def down():
        return torch.nn.Sequential(
            torch.nn.Conv2d(8, 16, 1, 2, bias=False), torch.nn.BatchNorm2d(16)
        )

    ours, theirs = BasicBlock(8, 16, 2, down()), TorchvisionBlock(8, 16, 2, down())
    theirs.load_state_dict(ours.state_dict())  # same parameter names and shapes
    x = torch.randn(2, 8, 12, 12)
    assert torch.allclose(ours(x), theirs(x))
    ours.eval(), theirs.eval()
    assert torch.allclose(ours(x), theirs(x))


@pytest.mark.parametrize(
    ("model", "side"), [(ResNetClassifier(10), 2), (ResNetSegmenter(21), 4)], ids=["clf", "seg"]
)
def test_encoders_expose_the_latent_split(model, side):
    x = torch.randn(2, 3, 64, 64)
    assert isinstance(model, LatentSplit)
    model.eval()
    with torch.no_grad():
        z = model.encode(x)
        assert z.shape == (2, 512, side, side)  # output stride 32 and 16
        out = model.head(z) if isinstance(model, ResNetClassifier) else model.head(z, (64, 64))
        assert torch.allclose(out, model(x))


def test_torchvision_weights_import_exactly(tmp_path):
    reference = resnet18(weights=None).eval()
    torch.save(reference.state_dict(), tmp_path / "resnet18.pth")
    model = import_torchvision_resnet18(tmp_path / "resnet18.pth").eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(model(x), reference(x))


def test_checkpoint_round_trip_and_wrong_format(tmp_path):
    model = ResNetSegmenter(5).eval()
    save_checkpoint(tmp_path / "m.pt", model, "resnet18_segmenter", num_classes=5)
    loaded = load_checkpoint(tmp_path / "m.pt").eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    torch.save({"weights": 1}, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="bad.pt"):
        load_checkpoint(tmp_path / "bad.pt")
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="junk.pt"):
        load_checkpoint(tmp_path / "junk.pt")


def _independent_miou(pred, target, k, ignore=255):
    ious = []
    for c in range(k):
        valid = target != ignore
        p, t = (pred == c) & valid, (target == c) & valid
        union = (p | t).sum()
        if union:
            ious.append((p & t).sum() / union)
    return float(np.mean(ious))


def test_miou_on_known_cases():
    target = torch.tensor([[0, 0, 1, 1], [2, 2, 255, 255]])
    assert mean_iou(confusion_matrix(target.clone(), target, 3)) == 1.0
    pred = torch.tensor([[0, 1, 1, 1], [2, 0, 0, 1]])
    # class 0: inter 1, union 3; class 1: inter 2, union 3; class 2: inter 1, union 2
    assert mean_iou(confusion_matrix(pred, target, 3)) == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3)
    assert pixel_accuracy(confusion_matrix(pred, target, 3)) == pytest.approx(4 / 6)


def test_miou_matches_an_independent_computation():
    rng = np.random.default_rng(0)
    target = rng.integers(0, 6, (50, 40))
    target[rng.random((50, 40)) < 0.1] = 255
    pred = np.where(rng.random((50, 40)) < 0.6, target % 255, rng.integers(0, 6, (50, 40)))
    cm = confusion_matrix(torch.from_numpy(pred), torch.from_numpy(target), 6)
    assert mean_iou(cm) == pytest.approx(_independent_miou(pred, target, 6))
