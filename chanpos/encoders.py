"""The frozen encoders of Fig. S1: an ImageNet ResNet-18 classifier and a VOC ResNet-18 segmenter.

Each is either trained here (mini preset; the VOC segmenter in both presets) or loaded from
published weights (the paper preset's ImageNet classifier: torchvision's ``resnet18-f37072fd``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import DataLoader
from torchvision.transforms import v2 as T

from chanpos.canvas import IMAGENET_MEAN, IMAGENET_STD
from chanpos.checkpoints import CheckpointError
from chanpos.data.imagefolder_dataset import imagefolder_dataset
from chanpos.data.voc import VOC_CLASSES
from chanpos.data.voc_dataset import VOCSegmentation
from chanpos.metrics import IGNORE_INDEX, confusion_matrix, mean_iou, pixel_accuracy
from chanpos.models.resnet import ResNetClassifier, ResNetSegmenter
from chanpos.train import accuracy, train_epochs

log = logging.getLogger(__name__)


def normalise() -> T.Transform:
    """PIL image -> float tensor normalised with the ImageNet mean and std."""
    return T.Compose([T.ToImage(), normalise_batch()])


def normalise_batch() -> T.Transform:
    """uint8 image tensor(s) (..., 3, H, W) -> float32 normalised with the ImageNet mean and std;
    applied to a whole batch at once, on its device."""
    return T.Compose(
        [T.ToDtype(torch.float32, scale=True), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)]
    )


def make_optimizer(model: torch.nn.Module, cfg: dict[str, Any], steps: int):
    """Adam, or SGD with momentum 0.9; weight decay 1e-4; the lr decays polynomially (power 0.9)."""
    if cfg["optimizer"] == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], weight_decay=1e-4)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9, weight_decay=1e-4)
    return opt, torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=max(steps, 1), power=0.9)


def train_classifier(
    root: Path, cfg: dict[str, Any], device: torch.device
) -> tuple[ResNetClassifier, dict]:
    """Train a ResNet-18 classifier on an ImageNet-format tree; return it and its val top-1."""
    size = cfg["image_size"]
    train_tf = T.Compose(
        [T.RandomResizedCrop(size, scale=(0.35, 1.0), antialias=True), T.RandomHorizontalFlip()]
    )
    val_tf = T.Compose([T.Resize(size, antialias=True), T.CenterCrop(size)])
    train_set = imagefolder_dataset(root, "train", T.Compose([train_tf, normalise()]))
    val_set = imagefolder_dataset(root, "val", T.Compose([val_tf, normalise()]))
    gen = torch.Generator().manual_seed(cfg["seed"])
    loader = DataLoader(train_set, cfg["batch_size"], shuffle=True, drop_last=True, generator=gen)
    model = ResNetClassifier(num_classes=len(train_set.classes)).to(device)
    opt, sched = make_optimizer(model, cfg, cfg["epochs"] * len(loader))
    losses = train_epochs(model, lambda _e: loader, opt, cfg["epochs"], device, "classifier", sched)
    top1 = accuracy(model, DataLoader(val_set, 64), device)
    log.info("classifier: train loss %s, val top-1 %.3f", losses, top1)
    return model, {"val_top1": top1, "train_loss": losses, "num_classes": len(train_set.classes)}


def import_torchvision_resnet18(path: Path) -> ResNetClassifier:
    """Load torchvision's published ResNet-18 state dict (``weights_only=True``)."""
    model = ResNetClassifier(num_classes=1000)
    try:
        model.backbone.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    except Exception as err:
        raise CheckpointError(
            f"{path}: not torchvision's ResNet-18 state dict (resnet18-f37072fd.pth): {err}"
        ) from err
    return model


class _SegTrain:
    """Joint random crop (padding with the ignore label) and flip for image and mask."""

    def __init__(self, crop: int) -> None:
        self.crop = crop
        self.norm = normalise()

    def __call__(self, image, mask) -> tuple[Tensor, Tensor]:
        x = self.norm(image)
        y = torch.as_tensor(T.functional.pil_to_tensor(mask)[0], dtype=torch.long)
        h, w = y.shape
        ph, pw = max(self.crop - h, 0), max(self.crop - w, 0)
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph))
            y = F.pad(y, (0, pw, 0, ph), value=IGNORE_INDEX)
        top = int(torch.randint(0, y.shape[0] - self.crop + 1, ()))
        left = int(torch.randint(0, y.shape[1] - self.crop + 1, ()))
        x = x[:, top : top + self.crop, left : left + self.crop]
        y = y[top : top + self.crop, left : left + self.crop]
        if torch.rand(()) < 0.5:
            x, y = x.flip(-1), y.flip(-1)
        return x, y


def seg_eval_item(image, mask) -> tuple[Tensor, Tensor]:
    """A (PIL image, PIL label mask) pair as (normalised image, long label map), no augmentation."""
    return normalise()(image), torch.as_tensor(T.functional.pil_to_tensor(mask)[0]).long()


def train_segmenter(
    root: Path,
    cfg: dict[str, Any],
    device: torch.device,
    init: ResNetClassifier | None = None,
) -> tuple[ResNetSegmenter, dict]:
    """Train a ResNet-18 FCN on a VOC-format tree; return it and its val mIoU."""
    train_set = VOCSegmentation(root, "train", _SegTrain(cfg["crop_size"]))
    gen = torch.Generator().manual_seed(cfg["seed"])
    loader = DataLoader(train_set, cfg["batch_size"], shuffle=True, drop_last=True, generator=gen)
    model = ResNetSegmenter(num_classes=len(VOC_CLASSES))
    if init is not None:
        state = {k: v for k, v in init.backbone.state_dict().items() if not k.startswith("fc.")}
        model.backbone.load_state_dict(state, strict=False)
    model.to(device)
    opt, sched = make_optimizer(model, cfg, cfg["epochs"] * len(loader))

    def loss_fn(logits: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(logits, target, ignore_index=IGNORE_INDEX)

    losses = train_epochs(
        model, lambda _e: loader, opt, cfg["epochs"], device, "segmenter", sched, loss_fn
    )
    cm = torch.zeros(len(VOC_CLASSES), len(VOC_CLASSES), dtype=torch.long)
    model.eval()
    with torch.no_grad():
        for x, y in DataLoader(VOCSegmentation(root, "val", seg_eval_item), 1):
            cm += confusion_matrix(model(x.to(device)).argmax(1).cpu(), y, len(VOC_CLASSES))
    metrics = {"val_miou": mean_iou(cm), "val_pixel_accuracy": pixel_accuracy(cm)}
    log.info("segmenter: train loss %s, %s", losses, metrics)
    return model, {**metrics, "train_loss": losses}
