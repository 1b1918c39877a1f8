"""Conventions: snakemake --lint, snakefmt and ruff report nothing."""

import subprocess
import sys
from pathlib import Path

from tests.workflow import REPO, SNAKEMAKE, local_env

BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, cwd=REPO, capture_output=True, text=True, timeout=300, env=local_env()
    )


def test_snakemake_lint_is_clean():
    result = _run(str(SNAKEMAKE), "--lint", "--workflow-profile", "none")
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakefmt_check_is_clean():
    result = _run(str(BIN / "snakefmt"), "--check", "Snakefile", "rules")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean():
    result = _run(str(BIN / "ruff"), "check", "chanpos", "scripts", "tests")
    assert result.returncode == 0, result.stdout + result.stderr
