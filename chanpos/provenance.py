"""Provenance of every result file: config hash, code version, seed, device, package versions."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from chanpos.atomic import atomic_write_text

PACKAGES = ("torch", "torchvision", "numpy", "snakemake", "chanpos")
REPO = Path(__file__).resolve().parent.parent


def config_hash(config: dict[str, Any]) -> str:
    """Short sha256 of the config, key order independent."""
    blob = json.dumps(config, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def git_revision(repo: Path = REPO) -> dict[str, Any]:
    """The git commit of the code and whether the work tree had uncommitted changes."""
    try:
        rev = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return {"git_revision": rev, "git_dirty": bool(status.strip())}
    except (OSError, subprocess.CalledProcessError):
        return {"git_revision": "unknown", "git_dirty": None}


def package_versions() -> dict[str, str]:
    """Installed versions of the packages results depend on."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance(config: dict[str, Any], seed: int | None, device: str) -> dict[str, Any]:
    """Everything needed to tell where a result came from."""
    return {
        "config_hash": config_hash(config),
        **git_revision(),
        "seed": seed,
        "device": device,
        "python": platform.python_version(),
        "packages": package_versions(),
    }


def write_result(path: Path | str, result: dict[str, Any], prov: dict[str, Any]) -> None:
    """Write ``result`` with its provenance as JSON, atomically."""
    atomic_write_text(path, json.dumps({**result, "provenance": prov}, indent=2, sort_keys=True))
