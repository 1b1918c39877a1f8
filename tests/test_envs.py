"""envs/*.yaml (for --use-conda) agree with requirements.lock (the pip environment CI runs)."""

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


def _lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


ENV_FILES = sorted((REPO / "envs").glob("*.yaml"))


def test_there_is_an_env_file():
    assert ENV_FILES


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_env_is_exactly_pinned_and_matches_the_lock(path):
    env = yaml.safe_load(path.read_text())
    assert "nodefaults" in env["channels"] and "conda-forge" in env["channels"]
    lock = _lock()
    pip_section = None
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section = dep["pip"]
        else:
            assert "=" in dep and not dep.endswith("="), f"{path.name}: {dep} is not pinned"
    assert pip_section, f"{path.name} has no pip section"
    for spec in pip_section:
        assert "==" in spec, f"{path.name}: {spec} is not pinned with =="
        name, version = spec.split("==")
        assert name.lower() in lock, f"{path.name}: {name} is not in requirements.lock"
        assert lock[name.lower()] == version, f"{path.name}: {spec} but the lock has {version}"
    torch_pins = {s for s in pip_section if s.startswith(("torch==", "torchvision=="))}
    assert torch_pins == {"torch==2.14.1", "torchvision==0.29.1"}
