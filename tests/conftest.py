"""The mini preset built once per test session, as a user builds it: ``snakemake --cores 2``."""

from __future__ import annotations

import pytest

from tests.workflow import output, snakemake


@pytest.fixture(scope="session")
def mini(tmp_path_factory):
    """Every artefact of the mini preset (the default target), built from an empty directory."""
    workdir = tmp_path_factory.mktemp("mini")
    result = snakemake(workdir, "--cores", "2", timeout=3600)
    assert result.returncode == 0, output(result)[-4000:]
    return workdir
