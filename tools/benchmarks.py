"""Summarise a run's benchmark files as Markdown: wall and CPU seconds per step, then per job.

Usage: .venv/bin/python tools/benchmarks.py [benchmarks/mini]
"""

import sys
from pathlib import Path

import pandas as pd


def jobs(root: Path) -> pd.DataFrame:
    """One row per benchmark file (one per job): step (the top folder), job (the rest of the
    path), wall and CPU seconds."""
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        last = pd.read_csv(path, sep="\t").iloc[-1]
        parts = path.relative_to(root).with_suffix("").parts
        rows.append(
            {
                "step": parts[0],
                "job": "/".join(parts[1:]) or parts[0],
                "wall_s": last["s"],
                "cpu_s": last["cpu_time"],
            }
        )
    if not rows:
        raise SystemExit(f"no benchmark files under {root}; run the workflow first")
    return pd.DataFrame(rows)


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per step folder (data, encoders, table1, ...) and a total row."""
    table = frame.groupby("step", sort=False).agg(
        jobs=("wall_s", "size"), wall_s=("wall_s", "sum"), cpu_s=("cpu_s", "sum")
    )
    table.loc["total"] = [len(frame), frame["wall_s"].sum(), frame["cpu_s"].sum()]
    return table.round(1).reset_index()


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/mini")
    frame = jobs(root)
    print(summarise(frame).to_markdown(index=False), end="\n\n")
    print(frame.round(1).to_markdown(index=False))
