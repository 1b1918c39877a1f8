#!/usr/bin/env bash
# Set up the environment (first time only) and build every artefact of the mini preset.
# Extra arguments go to snakemake, e.g.:  tools/run.sh table1
#                                          tools/run.sh --configfile config.paper.yaml
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
exec .venv/bin/snakemake --cores all "$@"
