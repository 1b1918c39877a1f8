"""Resumable, optionally multi-process (DDP) training around :func:`chanpos.train.train_epochs`.

After every epoch rank 0 writes a resume file atomically (model, optimiser, scheduler, epoch,
losses and a key naming the run); a rerun with the same key continues from there. Each epoch's
shuffling and augmentation draws are seeded by (seed, epoch), so a resumed run reproduces an
uninterrupted one. :func:`spawn` runs a function in ``world_size`` processes joined in a
process group (NCCL on GPUs, gloo on CPUs); inside it :func:`fit` shards the data with a
``DistributedSampler`` and wraps the model in ``DistributedDataParallel``.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from chanpos.atomic import atomic_path
from chanpos.train import train_epochs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    """SGD (momentum 0.9) with a one-cycle learning rate over ``epochs``."""

    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    seed: int
    workers: int = 0


def rank_and_world() -> tuple[int, int]:
    """This process's rank and the number of processes (0, 1 outside a process group)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def fit(
    net: nn.Module,
    dataset: Dataset,
    loss_fn: Callable[[Any, Tensor], Tensor],
    schedule: Schedule,
    device: torch.device,
    resume: Path | str,
    key: str,
) -> list[float]:
    """Train ``net`` on ``dataset``, resuming from ``resume`` when it holds the run ``key``.

    ``schedule.batch_size`` is the global batch, split over the processes. Returns the mean
    training loss of every epoch (this process's share).
    """
    rank, world = rank_and_world()
    resume = Path(resume)
    sampler = DistributedSampler(
        dataset, world, rank, shuffle=True, seed=schedule.seed, drop_last=True
    )
    loader = DataLoader(
        dataset,
        max(schedule.batch_size // world, 1),
        sampler=sampler,
        drop_last=True,
        num_workers=schedule.workers,
        pin_memory=device.type == "cuda",
        persistent_workers=schedule.workers > 0,
    )
    model = (
        DistributedDataParallel(net, [device] if device.type == "cuda" else None)
        if world > 1
        else net
    )
    opt = torch.optim.SGD(
        net.parameters(), lr=schedule.lr, momentum=0.9, weight_decay=schedule.weight_decay
    )
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=schedule.lr, total_steps=max(schedule.epochs * len(loader), 1)
    )
    start, losses = 0, []
    if resume.exists():
        state = torch.load(resume, map_location=device, weights_only=True)
        if state["key"] == key:
            net.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            start, losses = state["epoch"], state["losses"]
            log.info("resumed %s from epoch %d", key, start)
        else:
            log.info("ignoring %s: it resumes %s, not %s", resume, state["key"], key)
    for epoch in range(start, schedule.epochs):
        sampler.set_epoch(epoch)
        torch.manual_seed(schedule.seed * 100_003 + epoch)
        losses += train_epochs(model, lambda _e: loader, opt, 1, device, key, sched, loss_fn)
        log.info("%s epoch %d/%d: loss %.4f", key, epoch + 1, schedule.epochs, losses[-1])
        if rank == 0:
            state = {
                "key": key,
                "epoch": epoch + 1,
                "losses": losses,
                "model": net.state_dict(),
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
            }
            with atomic_path(resume) as tmp:
                torch.save(state, tmp)
        if world > 1:
            dist.barrier()
    return losses


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, fn: Callable[..., None], args: tuple) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(rank)
    dist.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=world)
    try:
        fn(*args)
    finally:
        dist.destroy_process_group()


def spawn(fn: Callable[..., None], world_size: int, *args: Any) -> None:
    """Run ``fn(*args)`` in ``world_size`` new processes joined in one process group.

    A script that calls this must keep its body under ``if __name__ == "__main__":``, since
    the new processes import the main module again.
    """
    mp.spawn(_worker, (world_size, _free_port(), fn, args), nprocs=world_size, join=True)
