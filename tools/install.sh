#!/usr/bin/env bash
# Set up the chanpos Python environment in .venv (idempotent).
#
#   tools/install.sh            install or update .venv from requirements.lock
#
# torch/torchvision, snakemake 9 (+ SLURM executor plugin) and the pure-Python
# packages come pinned from requirements.lock. mmcv 2.1.0 has no wheel for
# torch 2.14: it is built once from source with its CPU ops (about 13 min on 2
# cores) and the wheel is cached in $CHANPOS_WHEELS, so later set-ups take ~2 min.
# mmdet 3.3.0 and mmsegmentation 1.2.2 are installed with --no-deps (their
# metadata pins an mmcv range that pip would otherwise re-resolve).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=$(realpath -m "${CHANPOS_VENV:-.venv}")
WHEELS=${CHANPOS_WHEELS:-$HOME/.cache/chanpos/wheels}
PYBIN=${PYBIN:-python3.11}
MMCV_WHEEL="$WHEELS/mmcv-2.1.0-cp311-cp311-linux_x86_64.whl"
stamp="$VENV/.chanpos-install"
want=$(cat requirements.lock tools/install.sh pyproject.toml | sha256sum | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "chanpos: setting up $VENV (first time: ~15 min, mostly the mmcv build)" >&2
[ -x "$VENV/bin/python" ] || "$PYBIN" -m venv "$VENV"
PIP="$VENV/bin/python -m pip --disable-pip-version-check"
$PIP install --quiet --upgrade "pip==25.3"
# build tools for mmcv: its setup.py imports pkg_resources (gone in setuptools 81)
$PIP install --quiet "setuptools==80.10.2" "wheel==0.48.0"
$PIP install --quiet -r requirements.lock

if [ ! -f "$MMCV_WHEEL" ]; then
  build=$(mktemp -d)
  mkdir -p "$WHEELS"
  echo "chanpos: building mmcv 2.1.0 with CPU ops (log: $build/mmcv_build.log)" >&2
  $PIP download --quiet --no-deps --no-binary :all: --no-build-isolation mmcv==2.1.0 -d "$build"
  tar xzf "$build/mmcv-2.1.0.tar.gz" -C "$build"
  # torch 2.14 headers need C++20; mmcv 2.1.0 asks for C++14/17.
  sed -i 's/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g' "$build/mmcv-2.1.0/setup.py"
  # recent setuptools replaces the sysconfig flags with $CFLAGS: spell out -O3.
  (cd "$build/mmcv-2.1.0" && env CUDA_VISIBLE_DEVICES= FORCE_CUDA=0 MMCV_WITH_OPS=1 \
      MAX_JOBS="${MAX_JOBS:-$(nproc)}" CFLAGS="-DNDEBUG -O3 -fwrapv -Wall -g0" \
      $PIP wheel -v --no-build-isolation --no-deps . -w "$build/dist" >"$build/mmcv_build.log" 2>&1) \
    || { tail -30 "$build/mmcv_build.log" >&2; echo "mmcv build failed: $build/mmcv_build.log" >&2; exit 1; }
  mv "$build"/dist/mmcv-2.1.0-*.whl "$MMCV_WHEEL.tmp" && mv "$MMCV_WHEEL.tmp" "$MMCV_WHEEL"
  rm -rf "$build"
fi
$PIP install --quiet --force-reinstall --no-deps "$MMCV_WHEEL"
$PIP install --quiet --no-deps mmdet==3.3.0 mmsegmentation==1.2.2
# csDownload fetches Cityscapes (paper preset); --no-deps skips its Python < 3.5 `typing` pin
$PIP install --quiet --no-deps cityscapesscripts==2.2.4
$PIP install --quiet --no-deps --no-build-isolation -e .

"$VENV/bin/python" - <<'PY'
import torch, mmcv, mmdet, mmseg, snakemake  # noqa: F401
from mmcv.ops import nms
keep = nms(torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11.]]), torch.tensor([.9, .8]), .5)[1]
assert keep.tolist() == [0], keep
PY
echo "$want" > "$stamp"
echo "chanpos: environment ready in $VENV" >&2
