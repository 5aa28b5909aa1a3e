#!/usr/bin/env bash
# Set up a virtual environment in .venv with urrbmi and its development tools.
# Idempotent: re-running only installs what changed. Needs python3 (3.11+) and PyPI access.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# Best effort: a CJK font so charts show Chinese (charts still render, with a warning, without).
if ! fc-list :lang=zh 2>/dev/null | grep -q . && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1; }) \
    || echo "warning: could not install fonts-wqy-microhei; charts will lack Chinese glyphs" >&2
fi
# Best effort: Debian's chromium for the web UI's end-to-end tests (skipped without it, unless
# URRBMI_REQUIRE_BROWSER=1). Never `playwright install`: the tests drive /usr/bin/chromium.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get install -y -q chromium >/dev/null 2>&1 \
    || echo "warning: could not install chromium; the browser tests will be skipped" >&2
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
.venv/bin/python -m pip install -q -e '.[dev]'
