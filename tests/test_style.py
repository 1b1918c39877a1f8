"""Conventions: snakemake --lint, snakefmt and ruff report nothing; report jobs import no torch."""

import re
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


def test_report_jobs_import_no_torch():
    """The table, figure and claims scripts (``report_job``) import only torch-free modules:
    importing torch and torchvision would take most of such a job's run time."""
    texts = [p.read_text() for p in sorted((REPO / "scripts").glob("*.py"))]
    reports = [t for t in texts if "report_job(snakemake)" in t]
    assert len(reports) >= 8
    modules = {m for t in reports for m in re.findall(r"^(?:from|import) ([\w.]+)", t, re.M)}
    assert {"chanpos.job", "chanpos.claims", "chanpos.reports.seg_attack"} <= modules
    code = "".join(f"import {m}\n" for m in sorted(modules))
    code += "print(sorted(m for m in ('torch', 'torchvision') if m in sys.modules))"
    result = _run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"a report script's import pulls in {result.stdout}"
