#!/usr/bin/env bash
# Set everything up and run the main job: a demo campaign on the embedded default database, then the
# web UI on it (http://localhost:8000/, demo accounts printed). `--no-serve` stops after the campaign;
# other options go to `urrbmi demo` (see `urrbmi demo --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/urrbmi demo "$@"
