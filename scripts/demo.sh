#!/usr/bin/env bash
# Set everything up and run the main job: a demo campaign on the embedded default database.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/urrbmi demo "$@"
