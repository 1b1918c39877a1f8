#!/usr/bin/env bash
# Set up the environment, start a local one-node SLURM cluster and run the test suite.
# Extra arguments go to pytest, e.g.:  tools/test.sh -m "not workflow"
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  bash tools/slurm/start.sh
  trap 'bash tools/slurm/stop.sh' EXIT
else
  echo "chanpos: not root or no apt-get: the SLURM tests will be skipped" >&2
fi
.venv/bin/python -m pytest "$@"
