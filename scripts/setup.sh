#!/usr/bin/env bash
# Set up a virtual environment in .venv with urrbmi and its development tools.
# Idempotent: re-running only installs what changed. Needs python3 (3.11+) and PyPI access.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
.venv/bin/python -m pip install -q -e '.[dev]'
