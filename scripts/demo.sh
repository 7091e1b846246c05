#!/usr/bin/env bash
# The main job on the embedded default: set up, build a demo collection, ingest it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf demo-run
exec .venv/bin/dhakira demo demo-run "$@"
