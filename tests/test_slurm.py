"""The workflow on a real one-node SLURM cluster, through profiles/slurm.

The session fixture starts the cluster with tools/slurm/start.sh (installs SLURM with apt on a fresh
machine; needs root) and stops it again afterwards if it was not running before (set
CHANPOS_SLURM_KEEP=1 to leave it up). Run with: .venv/bin/pytest -m slurm
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.workflow import REPO, SNAKEMAKE, TINY, output, snakemake

pytestmark = pytest.mark.slurm

START = REPO / "tools" / "slurm" / "start.sh"
STOP = REPO / "tools" / "slurm" / "stop.sh"
STARTED = Path("/run/chanpos-slurm/started")  # written by start.sh
PROFILE = REPO / "profiles" / "slurm"
FAKE_GPUS = 2
# the plugin waits 40 s before its first status check by default
FAST = ("--slurm-init-seconds-before-status-checks", "2")
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (\S+)\)\.")
RULE_JOB = re.compile(r"^(local)?rule (\w+):\n(?:    .*\n)*?    jobid: (\d+)$", re.M)


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """A running cluster with FAKE_GPUS fake GPUs; yields start.sh's output."""
    if os.geteuid() != 0:
        pytest.skip("tools/slurm/start.sh must run as root (it installs and starts SLURM daemons)")
    if shutil.which("sbatch") is None and shutil.which("apt-get") is None:
        pytest.skip("SLURM is not installed and there is no apt-get to install it")
    was_running = STARTED.exists()
    log = tmp_path_factory.mktemp("slurm") / "start.log"
    with log.open("w") as fh:  # a file, not a pipe: the daemons must not hold our stdout open
        rc = subprocess.run(
            [str(START)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, "LOCAL_SLURM_GPUS": str(FAKE_GPUS)},
            timeout=900,
        ).returncode
    assert rc == 0, f"{START} failed:\n{log.read_text()[-4000:]}"
    yield log.read_text()
    if not was_running and os.environ.get("CHANPOS_SLURM_KEEP") != "1":
        subprocess.run([str(STOP)], check=False, timeout=120)


def submitted_jobs(log: str) -> dict[str, tuple[str, str]]:
    """Snakemake job id -> (SLURM job id, SLURM log path), from the 'submitted with' lines."""
    return {job: (slurm_id, path) for job, slurm_id, path in SUBMITTED.findall(log)}


def sacct(slurm_ids, fields: str) -> dict[str, dict[str, str]]:
    """sacct's records of the given jobs (allocations only), by job id."""
    names = fields.split(",")
    result = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-j", ",".join(slurm_ids), f"--format=JobIDRaw,{fields}"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line.split("|") for line in result.stdout.splitlines() if line]
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}


def file_digests(workdir: Path) -> dict[str, str]:
    """sha256 of every file a run made, except Snakemake's metadata, logs and benchmarks."""
    skip = {".snakemake", "logs", "benchmarks"}
    return {
        str(p.relative_to(workdir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(workdir.rglob("*"))
        if p.is_file() and p.relative_to(workdir).parts[0] not in skip
    }


def test_table1_runs_every_job_through_sbatch_and_matches_a_local_run(
    slurm_cluster, tmp_path, capsys
):
    gpu_cfg = tmp_path / "gpu.yaml"  # train jobs ask SLURM for a (fake) GPU: --gpus=1
    gpu_cfg.write_text("gpus_per_job: 1\n")
    configs = (TINY, gpu_cfg)
    local, cluster = tmp_path / "local", tmp_path / "slurm"

    ran = snakemake(local, "--cores", "2", "table1", configs=configs)
    assert ran.returncode == 0, output(ran)[-4000:]
    # --workflow-profile given again overrides the helper's `--workflow-profile none`
    ran = snakemake(
        cluster,
        "--workflow-profile",
        str(PROFILE),
        *FAST,
        "table1",
        configs=configs,
        timeout=1800,
        slurm=True,
    )
    log = output(ran)
    assert ran.returncode == 0, log[-4000:]

    submitted = submitted_jobs(log)
    rules = {job: rule for local_, rule, job in RULE_JOB.findall(log) if not local_}
    assert submitted, log[-4000:]
    assert set(rules) == set(submitted), f"jobs not sent to SLURM: {set(rules) - set(submitted)}"
    assert "train_table1" in rules.values() and "make_table1" in rules.values()
    for slurm_id, path in submitted.values():  # profile: slurm-keep-successful-logs
        assert Path(path).is_file() and f"/{slurm_id}.log" in path, path

    records = sacct([s for s, _ in submitted.values()], "JobName,State,ExitCode,AllocTRES")
    for job, (slurm_id, _) in submitted.items():
        rec = records[slurm_id]
        assert rec["State"] == "COMPLETED" and rec["ExitCode"] == "0:0", (rules[job], rec)
        assert rec["JobName"].startswith("chanpos_"), rec  # profile: slurm-jobname-prefix
        gpus = "gres/gpu=1" in rec["AllocTRES"]
        assert gpus == (rules[job] == "train_table1"), (rules[job], rec)

    local_files, cluster_files = file_digests(local), file_digests(cluster)
    assert any(f.endswith("tables/table1.csv") for f in local_files), sorted(local_files)
    assert cluster_files.keys() == local_files.keys()
    differ = [f for f in local_files if local_files[f] != cluster_files[f]]
    assert not differ, f"outputs differ between the local and the SLURM run: {differ}"
    with capsys.disabled():  # the evidence, shown in the CI log (pytest captures prints)
        print(f"\nSLURM run of table1: {len(submitted)} jobs, all through sbatch")
        for job, (slurm_id, _) in sorted(submitted.items(), key=lambda kv: int(kv[1][0])):
            rec = records[slurm_id]
            print(f"  slurm job {slurm_id:>5}  {rules[job]:<14} {rec['State']} {rec['AllocTRES']}")
        print(f"content check: {len(local_files)} output files identical to the local run")


def test_failing_job_is_reported_with_its_slurm_log(slurm_cluster, tmp_path):
    (tmp_path / "Snakefile").write_text(
        'rule boom:\n    output: "boom.txt"\n    shell: "echo chanpos-boom-marker; exit 1"\n'
    )
    ran = subprocess.run(
        [str(SNAKEMAKE), "--directory", str(tmp_path), "--snakefile", str(tmp_path / "Snakefile")]
        + ["--workflow-profile", str(PROFILE), *FAST, "--retries", "0"],  # a retry costs ~30 s
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = output(ran)
    assert ran.returncode != 0, log[-4000:]
    [(_, slurm_id, path)] = SUBMITTED.findall(log)
    assert f"SLURM-job '{slurm_id}' failed, SLURM status is: 'FAILED'" in log, log[-4000:]
    assert f"log: {path} (check log file(s) for error details)" in log, log[-4000:]
    assert path == f"{tmp_path}/.snakemake/slurm_logs/rule_boom/{slurm_id}.log"
    assert "chanpos-boom-marker" in Path(path).read_text()
    assert f"Logfile {path}:" in log  # profile: show-failed-logs prints it

    record = sacct([slurm_id], "State,ReqMem,Timelimit")[slurm_id]
    # profile default-resources on attempt 1: mem_mb 4000, runtime 60 min
    assert record == {"State": "FAILED", "ReqMem": "4000M", "Timelimit": "01:00:00"}, record
