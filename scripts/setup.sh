#!/usr/bin/env bash
# Set up a virtual environment in .venv with urrbmi and its development tools.
# Idempotent: re-running only installs what changed. Needs python3 (3.11+) and PyPI access.
# Installs the versions in constraints.txt; `scripts/setup.sh --upgrade` moves them forward.
# Prints a few progress lines; everything pip and apt print goes to the log (var/setup.log, or
# $URRBMI_SETUP_LOG), shown in part only when a step fails. apt waits for another process's
# lock (up to $URRBMI_APT_LOCK_WAIT seconds, default 300) instead of giving up.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
LOG=${URRBMI_SETUP_LOG:-var/setup.log}
mkdir -p "$(dirname "$LOG")"
: >"$LOG"
APT=(apt-get -o "DPkg::Lock::Timeout=${URRBMI_APT_LOCK_WAIT:-300}" -y -q)
started=$SECONDS

say() { printf '  · %s\n' "$*"; }
quiet() { "$@" >>"$LOG" 2>&1; }
fail() {
  echo "失败 / failed: $1 — 日志末尾 / end of the log ($LOG):" >&2
  tail -n 20 "$LOG" >&2
  exit 1
}
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
apt_install() {  # best effort: install, else refresh the package lists once and retry
  quiet "${APT[@]}" install "$@" || { quiet "${APT[@]}" update && quiet "${APT[@]}" install "$@"; }
}

echo "urrbmi 安装 / set-up（详细日志 / full log: $LOG）"

# Best effort: a CJK font so charts show Chinese (charts still render, with a warning, without).
if fc-list :lang=zh 2>/dev/null | grep -q .; then
  say "中文字体 / CJK font: 已有 / present"
elif can_apt && apt_install fonts-wqy-microhei; then
  say "中文字体 / CJK font: 已安装 fonts-wqy-microhei / installed"
else
  say "中文字体 / CJK font: 未安装，图表将缺中文字形 / not installed: charts will lack Chinese glyphs"
fi

# Best effort: Debian's chromium for the web UI's end-to-end tests (skipped without it, unless
# URRBMI_REQUIRE_BROWSER=1). Never `playwright install`: the tests drive /usr/bin/chromium.
if [ -x /usr/bin/chromium ]; then
  say "浏览器 / chromium: 已有 / present"
elif can_apt && apt_install chromium; then
  say "浏览器 / chromium: 已安装 / installed"
else
  say "浏览器 / chromium: 未安装，浏览器测试将跳过 / not installed: the browser tests will be skipped"
fi

PIP=(.venv/bin/python -m pip --disable-pip-version-check --no-input)
if [ ! -x .venv/bin/python ]; then
  quiet "$PY" -m venv .venv || fail "python -m venv"
  quiet "${PIP[@]}" install --progress-bar off --upgrade pip || fail "pip install --upgrade pip"
  say "虚拟环境 / virtual environment: 新建 .venv / created"
else
  say "虚拟环境 / virtual environment: .venv 已有 / present"
fi
if [ "${1:-}" = "--upgrade" ]; then
  # the newest versions pyproject.toml's ranges allow, written back to constraints.txt (its
  # comment header kept) for the tests to try before it is committed
  quiet "${PIP[@]}" install --progress-bar off --upgrade --upgrade-strategy eager -e '.[dev]' \
    || fail "pip install --upgrade -e '.[dev]'"
  { grep '^#' constraints.txt; "${PIP[@]}" freeze --exclude-editable; } >constraints.txt.new
  mv constraints.txt.new constraints.txt
  say "依赖 / dependencies: 已升级，constraints.txt 已改写 / upgraded, constraints.txt rewritten"
else
  # the tested versions (constraints.txt), so a fresh machine installs what last passed
  quiet "${PIP[@]}" install --progress-bar off -c constraints.txt -e '.[dev]' \
    || fail "pip install -c constraints.txt -e '.[dev]'"
fi
say "依赖 / dependencies: 已安装 / installed ($(.venv/bin/python -m pip --disable-pip-version-check list 2>/dev/null | tail -n +3 | wc -l) packages)"
echo "完成 / done（$((SECONDS - started)) s）"
