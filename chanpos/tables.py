"""Result tables: long-format CSV for machines, Markdown and LaTeX summaries for people."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from chanpos.atomic import atomic_path, atomic_write_text


def collect_runs(paths: Iterable[Path | str], fields: Sequence[str]) -> tuple[pd.DataFrame, list]:
    """Load per-run result JSONs; return the chosen fields as a frame and the provenances."""
    rows, provs = [], []
    for path in paths:
        blob = json.loads(Path(path).read_text())
        rows.append({f: blob[f] for f in fields})
        provs.append(blob["provenance"])
    return pd.DataFrame(rows), provs


def summarise(df: pd.DataFrame, by: Sequence[str], value: str) -> pd.DataFrame:
    """Mean, standard deviation (ddof 1; 0 for one seed) and count of ``value`` per group."""
    g = df.groupby(list(by), sort=False)[value]
    out = g.agg(mean="mean", std="std", n="count").reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def mean_sd(mean: float, std: float, n: int, scale: float = 100.0) -> str:
    """``"mean ± sd (n=k)"`` in percent."""
    return f"{mean * scale:.1f} ± {std * scale:.1f} (n={n})"


def provenance_lines(provs: list[dict[str, Any]]) -> list[str]:
    """Human-readable provenance of a set of runs."""

    def uniq(key: str) -> str:
        return ", ".join(sorted({str(p.get(key)) for p in provs}))

    torch_versions = ", ".join(sorted({p["packages"].get("torch", "?") for p in provs}))
    return [
        f"config hash: {uniq('config_hash')}",
        f"git revision: {uniq('git_revision')} (dirty: {uniq('git_dirty')})",
        f"device: {uniq('device')}; torch {torch_versions}",
        f"seeds: {uniq('seed')}",
    ]


def write_table(
    long: pd.DataFrame,
    wide: pd.DataFrame,
    stem: Path | str,
    caption: str,
    notes: Sequence[str] = (),
) -> None:
    """Write ``stem.csv`` (long), ``stem.md`` and ``stem.tex`` (wide, with caption and notes)."""
    stem = Path(stem)
    with atomic_path(stem.with_suffix(".csv")) as tmp:
        long.to_csv(tmp, index=False)
    md = [f"**{caption}**", "", wide.to_markdown(index=False), ""]
    md += [f"- {n}" for n in notes]
    atomic_write_text(stem.with_suffix(".md"), "\n".join(md) + "\n")
    tex = wide.to_latex(index=False, escape=True, caption=caption, label=f"tab:{stem.name}")
    atomic_write_text(stem.with_suffix(".tex"), tex.replace("±", r"$\pm$"))
