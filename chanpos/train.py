"""A plain supervised training loop and accuracy, shared by every experiment."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm import tqdm

Batches = Iterable[tuple[Tensor, Tensor]]


def train_epochs(
    model: nn.Module,
    batches: Callable[[int], Batches],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    device: torch.device,
    desc: str = "train",
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    loss_fn: Callable[[Tensor, Tensor], Tensor] = F.cross_entropy,
) -> list[float]:
    """Train ``epochs`` epochs; ``batches(epoch)`` yields (input, target); return mean losses."""
    history = []
    for epoch in tqdm(range(epochs), desc=desc, leave=False):
        model.train()
        total, count = 0.0, 0
        for x, y in batches(epoch):
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.item() * len(x)
            count += len(x)
        history.append(total / max(count, 1))
    return history


@torch.no_grad()
def accuracy(model: nn.Module, batches: Batches, device: torch.device) -> float:
    """Fraction of samples whose argmax prediction equals the target."""
    model.eval()
    correct, count = 0, 0
    for x, y in batches:
        pred = model(x.to(device)).argmax(1).cpu()
        correct += int((pred == y).sum())
        count += len(y)
    return correct / max(count, 1)
