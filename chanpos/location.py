"""Main Sec. 3 / Table 1: GAPNet vs PermuteNet trained from scratch on the grid canvas.

Protocol of the authors' ``trainval_gapnet.py``/``trainval_permutenet.py``: Adam (lr 1e-3,
betas (0.5, 0.999)), batch 48, cross-entropy, a random cell per sample and iteration, random
horizontal flips of the pasted image; the test score is the mean accuracy over several passes of
the test set, each with fresh random cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from chanpos.canvas import CIFAR_MEAN, CIFAR_STD, canvas_batches, prepare_images
from chanpos.models.cifar_resnet import CifarResNet18, SplitNet
from chanpos.models.readouts import build_readout
from chanpos.train import accuracy, train_epochs

TASKS = ("location", "recognition")


@dataclass(frozen=True)
class LocationRun:
    """One Table 1 cell: grid size, task, head and seed, with the training recipe."""

    grid: int
    task: str
    head: str
    seed: int
    width: int = 64
    cell: int = 32
    epochs: int = 20
    batch_size: int = 48
    lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    test_passes: int = 9
    gap_kernel: int = 3

    @property
    def num_classes(self) -> int:
        return self.grid * self.grid if self.task == "location" else 10


def build_location_net(run: LocationRun) -> SplitNet:
    """CIFAR-style ResNet-18 encoder with a GAPNet or PermuteNet head."""
    encoder = CifarResNet18(run.width)
    head = build_readout(run.head, encoder.out_channels, run.num_classes, run.gap_kernel)
    return SplitNet(encoder, head)


def _target_batches(images, labels, run, generator, train):
    pick = 1 if run.task == "location" else 2
    for batch in canvas_batches(
        images, labels, run.grid, run.batch_size, generator, shuffle=train, flip=train
    ):
        yield batch[0], batch[pick]


def train_and_test(
    run: LocationRun,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    device: torch.device,
) -> dict:
    """Train one network and return its mean test accuracy over ``run.test_passes`` passes."""
    if run.task not in TASKS:
        raise ValueError(f"unknown task {run.task!r}; choose one of {TASKS}")
    torch.manual_seed(run.seed)
    net = build_location_net(run).to(device)
    x_train = prepare_images(train[0], run.cell, CIFAR_MEAN, CIFAR_STD)
    x_test = prepare_images(test[0], run.cell, CIFAR_MEAN, CIFAR_STD)
    y_train, y_test = torch.from_numpy(train[1]), torch.from_numpy(test[1])
    gen = torch.Generator().manual_seed(run.seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=run.lr, betas=run.betas)
    losses = train_epochs(
        net,
        lambda _epoch: _target_batches(x_train, y_train, run, gen, train=True),
        optimizer,
        run.epochs,
        device,
        desc=f"{run.head}/{run.task}/g{run.grid}/s{run.seed}",
    )
    test_gen = torch.Generator().manual_seed(10_000 + run.seed)
    passes = [
        accuracy(net, _target_batches(x_test, y_test, run, test_gen, train=False), device)
        for _ in range(run.test_passes)
    ]
    return {"accuracy": float(np.mean(passes)), "test_passes": passes, "train_loss": losses}
