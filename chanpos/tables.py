"""Result tables: long-format CSV for machines, Markdown and LaTeX summaries for people."""

from __future__ import annotations

import html
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
    """``"mean ± sd (n=k)"`` in percent; a mean that rounds to zero reads 0.0, not -0.0."""
    return f"{round(mean * scale, 1) + 0.0:.1f} ± {std * scale:.1f} (n={n})"


def mean_sd_table(
    runs: pd.DataFrame, index: Sequence[str], columns: str, value: str
) -> pd.DataFrame:
    """Wide table of ``"mean ± sd (n=k)"`` cells: one row per ``index`` group, one column per
    value of ``columns``."""
    stats = summarise(runs, [*index, columns], value)
    stats["cell"] = [
        mean_sd(m, s, n) for m, s, n in zip(stats["mean"], stats["std"], stats["n"], strict=True)
    ]
    wide = stats.pivot(index=list(index), columns=columns, values="cell").reset_index()
    wide.columns.name = None
    return wide


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
    formats: Sequence[str] = ("csv", "md", "tex", "html"),
) -> None:
    """Write ``stem.csv`` (long) and ``stem.md``, ``stem.tex``, ``stem.html`` (wide, with caption
    and notes); ``formats`` picks which of them."""
    stem = Path(stem)
    if "csv" in formats:
        with atomic_path(stem.with_suffix(".csv")) as tmp:
            long.to_csv(tmp, index=False)
    if "md" in formats:
        md = [f"**{caption}**", "", wide.to_markdown(index=False), ""]
        md += [f"- {n}" for n in notes]
        atomic_write_text(stem.with_suffix(".md"), "\n".join(md) + "\n")
    if "tex" in formats:
        tex = wide.to_latex(index=False, escape=True, caption=caption, label=f"tab:{stem.name}")
        atomic_write_text(stem.with_suffix(".tex"), tex.replace("±", r"$\pm$"))
    if "html" in formats:
        atomic_write_text(stem.with_suffix(".html"), _html_page(wide, caption, notes))


def _html_page(wide: pd.DataFrame, caption: str, notes: Sequence[str] = ()) -> str:
    """A self-contained HTML page: caption, table and notes (what the Snakemake report shows)."""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><style>'
        "body{font-family:sans-serif;font-size:14px}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body>"
        f"<h3>{html.escape(caption)}</h3>{wide.to_html(index=False, border=0, na_rep='')}"
        f"<ul>{items}</ul></body></html>\n"
    )
