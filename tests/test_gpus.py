"""Device claims: jobs that run at once get different GPUs, and a killed job frees its GPU."""

import logging
import signal
import subprocess
import sys
import time

import pytest
import torch

from chanpos import gpus
from chanpos.gpus import DeviceError, claim, job_devices

KEYS = ["GPU-aaaa", "GPU-bbbb"]

HOLDER = """
import sys, time
from pathlib import Path
from chanpos.gpus import claim
with claim({keys!r}, {count}, Path({lock_dir!r})) as held:
    print(*held, flush=True)
    time.sleep(60)
"""


def hold(lock_dir, count=1, keys=KEYS) -> tuple[subprocess.Popen, list[int]]:
    """A separate process holding ``count`` devices; returns it and the indices it holds."""
    code = HOLDER.format(keys=keys, count=count, lock_dir=str(lock_dir))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    return proc, [int(i) for i in proc.stdout.readline().split()]


def test_concurrent_jobs_get_different_devices(tmp_path):
    proc, held = hold(tmp_path)
    try:
        assert held == [0]
        with claim(KEYS, 1, tmp_path) as mine:
            assert mine == [1]
            busy = pytest.raises(DeviceError, match="no 1 free GPUs")
            with busy, claim(KEYS, 1, tmp_path, timeout=0.5):
                pass
    finally:
        proc.kill()
        proc.wait()


def test_a_killed_job_releases_its_devices(tmp_path):
    proc, held = hold(tmp_path, count=2)
    assert held == [0, 1]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    start = time.monotonic()
    with claim(KEYS, 2, tmp_path, timeout=5) as mine:
        assert mine == [0, 1]
    assert time.monotonic() - start < 1.0


def test_a_waiting_job_starts_when_a_device_frees(tmp_path):
    proc, _ = hold(tmp_path, keys=KEYS[:1])
    subprocess.Popen(["sh", "-c", f"sleep 1.5; kill {proc.pid}"])
    start = time.monotonic()
    with claim(KEYS[:1], 1, tmp_path, timeout=30) as mine:
        assert mine == [0]
    assert 1.0 < time.monotonic() - start < 10
    proc.wait()


def test_asking_for_more_devices_than_visible_is_an_error(tmp_path):
    too_many = pytest.raises(DeviceError, match="asks for 3 GPUs but 2 are visible")
    with too_many, claim(KEYS, 3, tmp_path):
        pass


def test_device_follows_the_gpu_resource(tmp_path, monkeypatch, caplog):
    with job_devices("auto", 0) as devices:
        assert devices == [torch.device("cpu")]
    with job_devices("cpu", 2) as devices:
        assert devices == [torch.device("cpu")]

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with caplog.at_level(logging.WARNING), job_devices("auto", 1) as devices:
        assert devices == [torch.device("cpu")]
    assert "CUDA is not available" in caplog.text
    with pytest.raises(DeviceError, match="no CUDA device is visible"), job_devices("cuda", 1):
        pass

    # a two-GPU machine, seen through the same code path: two jobs, two different devices
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(gpus, "visible_devices", lambda: KEYS)
    monkeypatch.setattr(gpus, "LOCK_DIR", tmp_path)
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: None)
    with job_devices("cuda", 0) as devices:  # a job without a gpu resource, e.g. data generation
        assert devices == [torch.device("cpu")]
    with job_devices("auto", 1) as first, job_devices("cuda", 1) as second:
        assert first == [torch.device("cuda", 0)] and second == [torch.device("cuda", 1)]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_real_gpu_is_held_for_the_whole_job(tmp_path, monkeypatch):
    monkeypatch.setattr(gpus, "LOCK_DIR", tmp_path)
    keys = gpus.visible_devices()
    with job_devices("auto", 1) as devices:
        assert devices == [torch.device("cuda", 0)] and torch.cuda.current_device() == 0
        assert (torch.ones(2, device=devices[0]) * 2).sum().item() == 4
        if len(keys) == 1:  # another job asking for the only GPU waits until this one ends
            busy = pytest.raises(DeviceError, match="no 1 free GPUs")
            with busy, claim(keys, 1, tmp_path, timeout=0.5):
                pass
