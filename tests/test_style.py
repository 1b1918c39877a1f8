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


def test_plain_jobs_import_no_torch():
    """The data-generation, table, figure and claims scripts that run as ``plain_job`` import
    only torch-free modules: importing torch and torchvision takes seconds of each such job."""
    texts = [p.read_text() for p in sorted((REPO / "scripts").glob("*.py"))]
    plain = [t for t in texts if "plain_job(snakemake)" in t]
    assert len(plain) >= 10
    modules = {m for t in plain for m in re.findall(r"^(?:from|import) ([\w.]+)", t, re.M)}
    assert {"chanpos.job", "chanpos.claims", "chanpos.reports.seg_attack"} <= modules
    generators = {"imagefolder", "cifar", "voc", "cityscapes", "citypersons"}
    assert {f"chanpos.data.{name}" for name in generators} <= modules
    code = "".join(f"import {m}\n" for m in sorted(modules))
    code += "print(sorted(m for m in ('torch', 'torchvision') if m in sys.modules))"
    result = _run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"a plain_job script's import pulls in {result.stdout}"
