#!/usr/bin/env bash
# GPU checks for a machine with CUDA: the device-claim tests on a real GPU, then the mini preset
# with every training/probing job on CUDA (gpus_per_job=1, device=cuda). --resources gpu=2 on a
# one-GPU machine lets two GPU jobs start at once: the second must wait for the first's GPU.
# Usage: tools/gpu_check.sh [python] [output folder]   (default: .venv/bin/python, gpu-check/)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
OUT=${2:-gpu-check}
mkdir -p "$OUT"
nvidia-smi -L | tee "$OUT/gpus.txt"
"$PY" -m pytest -q -p no:cacheprovider tests/test_gpus.py 2>&1 | tee "$OUT/pytest.txt"
work=$(mktemp -d)
cp -r Snakefile rules scripts chanpos config.yaml config.schema.yaml envs "$work"/
(cd "$work" && time "$PY" -m snakemake --cores 8 --workflow-profile none --show-failed-logs --resources gpu=2 \
    --config gpus_per_job=1 device=cuda -- table1 fig_s1) >"$OUT/snakemake.txt" 2>&1 || { grep -B2 -A25 "Error\|Traceback" "$OUT/snakemake.txt" | head -80; exit 1; }
grep -h "device\|holding\|waiting" "$work"/logs/mini/*/*.log | sed 's/\r/\n/g' | grep -v "it/s" \
    >"$OUT/devices.txt" || true
cp "$work"/results/mini/tables/table1.md "$work"/results/mini/figures/fig_s1.csv "$OUT"/
"$PY" tools/benchmarks.py "$work"/benchmarks/mini >"$OUT/benchmarks.md"
tail -3 "$OUT/snakemake.txt"
