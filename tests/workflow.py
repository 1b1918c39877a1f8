"""Run the workflow as a user does: ``snakemake`` in a subprocess, in a scratch directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
TINY = REPO / "tests" / "configs" / "tiny.yaml"
NO_SLURM = REPO / "tests" / "configs" / "no_slurm.conf"


def snakemake_command(workdir: Path, *args: str, configs: tuple[Path, ...] = ()) -> list[str]:
    """The snakemake command line for the repo's Snakefile in ``workdir``, config.yaml first."""
    return [
        str(SNAKEMAKE),
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(REPO / "config.yaml"),
        *map(str, configs),
        "--workflow-profile",
        "none",
        "--show-failed-logs",
        *args,
    ]


def local_env() -> dict[str, str]:
    """The environment of a local (non-SLURM) run: a SLURM config whose queries fail at once."""
    return {**os.environ, "PYTHONWARNINGS": "ignore", "SLURM_CONF": str(NO_SLURM)}


def snakemake(
    workdir: Path,
    *args: str,
    configs: tuple[Path, ...] = (),
    timeout: int = 900,
    slurm: bool = False,
) -> subprocess.CompletedProcess:
    """Run snakemake on the repo's Snakefile in ``workdir`` with config.yaml plus ``configs``;
    ``slurm``: through the machine's SLURM (the SLURM profile), else :func:`local_env`."""
    cmd = snakemake_command(workdir, *args, configs=configs)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"} if slurm else local_env()
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def output(result: subprocess.CompletedProcess) -> str:
    """stdout and stderr together, for assertions and failure messages."""
    return result.stdout + result.stderr
