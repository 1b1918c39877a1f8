"""Summarise a run's benchmark files as a Markdown table: jobs, wall and CPU seconds per folder.

Usage: .venv/bin/python tools/benchmarks.py [benchmarks/mini]
"""

import sys
from pathlib import Path

import pandas as pd


def summarise(root: Path) -> pd.DataFrame:
    """One row per benchmark folder (data, encoders, table1, ...) and a total row."""
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        last = pd.read_csv(path, sep="\t").iloc[-1]
        rows.append({"step": path.parent.name, "wall_s": last["s"], "cpu_s": last["cpu_time"]})
    if not rows:
        raise SystemExit(f"no benchmark files under {root}; run the workflow first")
    frame = pd.DataFrame(rows)
    table = frame.groupby("step", sort=False).agg(
        jobs=("wall_s", "size"), wall_s=("wall_s", "sum"), cpu_s=("cpu_s", "sum")
    )
    table.loc["total"] = [len(frame), frame["wall_s"].sum(), frame["cpu_s"].sum()]
    return table.round(1).reset_index()


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/mini")
    print(summarise(root).to_markdown(index=False))
