#!/usr/bin/env bash
# Set everything up and run the test suite (plus lint and type checks).
# PostgreSQL tests run against URRBMI_TEST_PG_URL (default: the loopback server) and are
# skipped with a reason when no server is reachable, unless URRBMI_REQUIRE_PG=1 (as in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check urrbmi tests bench
.venv/bin/ruff format --check urrbmi tests bench
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
