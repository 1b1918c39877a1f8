"""Which CUDA devices a job uses: as many as its ``gpu`` resource, none that another job holds.

Snakemake limits how many GPU jobs run at once (``--resources gpu=N``) but does not say which
device each should use, and it does not set ``CUDA_VISIBLE_DEVICES`` locally. So each job claims
devices itself: an exclusive ``flock`` on one lock file per physical device (keyed by the
device's UUID, so jobs that SLURM gave different ``CUDA_VISIBLE_DEVICES`` never collide). The
kernel drops the lock when the process ends, however it ends, so a killed job leaves none behind.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

import torch

LOCK_DIR = Path(os.environ.get("CHANPOS_GPU_LOCKS", Path(tempfile.gettempdir()) / "chanpos-gpus"))


class DeviceError(RuntimeError):
    """The config asks for a device this job cannot have."""


@contextmanager
def claim(
    keys: Sequence[str], count: int, lock_dir: Path = LOCK_DIR, timeout: float | None = None
) -> Iterator[list[int]]:
    """Hold ``count`` of the devices named by ``keys`` that no other process holds.

    Yields their indices into ``keys``; waits (polling, and saying so in the log) until enough
    devices are free, e.g. while another workflow on the same machine uses them, or raises
    :class:`DeviceError` after ``timeout`` seconds if one is given.
    """
    if count > len(keys):
        raise DeviceError(f"the job asks for {count} GPUs but {len(keys)} are visible")
    lock_dir.mkdir(parents=True, exist_ok=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    waited = False
    while True:
        with ExitStack() as held:
            indices = []
            for i, key in enumerate(keys):
                if len(indices) == count:
                    break
                lock = _try_lock(lock_dir / f"{key}.lock")
                if lock is not None:
                    held.enter_context(lock)
                    indices.append(i)
            if len(indices) == count:
                logging.info("holding GPU(s) %s", indices)
                yield indices
                return
        if deadline is not None and time.monotonic() > deadline:
            raise DeviceError(f"no {count} free GPUs after {timeout:.0f} s (locks in {lock_dir})")
        if not waited:
            logging.info(
                "waiting for %d free GPU(s) of %d (locks in %s)", count, len(keys), lock_dir
            )
            waited = True
        time.sleep(1.0)


def _try_lock(path: Path) -> IO[str] | None:
    """An open file holding an exclusive lock on ``path``, or None if another process holds it."""
    fh = path.open("a")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    return fh


def visible_devices() -> list[str]:
    """A stable key (the UUID) for each CUDA device this process can see."""
    return [str(torch.cuda.get_device_properties(i).uuid) for i in range(torch.cuda.device_count())]


@contextmanager
def job_devices(preference: str, gpus: int) -> Iterator[list[torch.device]]:
    """The devices of a job whose ``gpu`` resource is ``gpus``; the first is the main one.

    A job that asks for no GPU runs on the CPU. One that asks for GPUs gets CUDA devices, except
    that ``auto`` falls back to the CPU (with a warning) when CUDA is missing, ``cuda`` raises
    then, and ``cpu`` never uses a GPU.
    """
    if preference == "cpu" or gpus == 0:
        yield [torch.device("cpu")]
        return
    if not torch.cuda.is_available():
        if preference == "cuda":
            raise DeviceError("config device is 'cuda' but no CUDA device is visible")
        logging.warning("the job asks for %d GPU(s) but CUDA is not available: using the CPU", gpus)
        yield [torch.device("cpu")]
        return
    with claim(visible_devices(), gpus, LOCK_DIR) as indices:
        devices = [torch.device("cuda", i) for i in indices]
        torch.cuda.set_device(devices[0])
        yield devices
