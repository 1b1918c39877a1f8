"""A run killed in the middle of a training job leaves nothing that passes for a result, and a
rerun finishes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pandas as pd
import pytest

from tests.workflow import TINY, local_env, output, snakemake, snakemake_command

# one training job, long enough (60 epochs of a tiny net) to be killed mid-way
SLOW = """
table1:
  tasks: [location]
  heads: [gapnet]
  seeds: [0]
  epochs: {location: 60, recognition: 1}
"""
RUN = "results/tiny/table1/runs/g2_location_gapnet_seed0.json"
LOG = "logs/tiny/table1/g2_location_gapnet_seed0.log"


def wait_for_training(workdir, proc, timeout=300.0) -> None:
    """Return once the training job has logged a finished epoch; fail if the run ends first."""
    log, deadline = workdir / LOG, time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the run ended before it could be killed:\n{proc.stdout.read()[-3000:]}")
        if log.exists() and "| 1/60 [" in log.read_text():
            return
        time.sleep(0.2)
    pytest.fail("the training job did not start in time")


def test_a_run_killed_mid_training_reruns_cleanly(tmp_path):
    slow = tmp_path / "slow.yaml"
    slow.write_text(SLOW)
    configs = (TINY, slow)
    work = tmp_path / "run"
    proc = subprocess.Popen(
        snakemake_command(work, "--cores", "1", "table1", configs=configs),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=local_env(),
        start_new_session=True,  # its own process group: snakemake and its job die together
    )
    try:
        wait_for_training(work, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # as a crash or a lost node would
        proc.wait()

    # nothing half-written passes for a result: no run file, no table, no temporary files
    assert not (work / RUN).exists()
    assert not (work / "results/tiny/tables/table1.csv").exists()
    assert not list((work / "results").rglob("*.tmp"))

    # what a user does after a crash: Snakemake's lock outlived it, so unlock, then rerun
    locked = snakemake(work, "--cores", "1", "table1", configs=configs)
    assert locked.returncode != 0 and "--unlock" in output(locked), output(locked)[-2000:]
    unlock = snakemake(work, "--unlock", "table1", configs=configs)
    assert unlock.returncode == 0, output(unlock)[-2000:]
    rerun = snakemake(work, "--cores", "1", "--rerun-incomplete", "table1", configs=configs)
    assert rerun.returncode == 0, output(rerun)[-4000:]
    assert "rule train_table1:" in output(rerun)
    assert json.loads((work / RUN).read_text())["accuracy"] >= 0
    table = pd.read_csv(work / "results/tiny/tables/table1.csv")
    assert len(table) == 1 and table.loc[0, "head"] == "gapnet"

    again = snakemake(work, "--cores", "1", "table1", configs=configs)
    assert again.returncode == 0 and "Nothing to be done" in output(again), output(again)[-2000:]
