"""`urrbmi quote` is a light process (issue 17): command groups load lazily and nothing expensive
runs at import. Checked by what the process imports, not by timing (bench/bench_quote_process.py
measures)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from urrbmi.interfaces.cli import COMMANDS, main

REPO = Path(__file__).parents[2]
HEAVY = {
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "openpyxl",
    "polars",
    "pyarrow",
    "argon2",
    "matplotlib",
}


def _run(code: str, stdin: str = "") -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    p = subprocess.run(
        [sys.executable, "-c", code], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_quote_imports_no_database_web_or_spreadsheet_library() -> None:
    code = (
        "import sys\n"
        "from urrbmi.interfaces.cli import main\n"
        "main(['quote', '--policy', 'suixi-2022'], standalone_mode=False)\n"
        "print()\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = _run(code, json.dumps({"paid_on": "2021-11-01"}))
    quoted, modules = out.strip().splitlines()[0], set(out.strip().splitlines()[-1].split())
    assert json.loads(quoted)["total_due"] == 320
    assert not modules & HEAVY, modules & HEAVY


def test_no_password_hash_is_computed_at_import() -> None:
    out = _run(
        "import urrbmi.access.accounts\n"
        "from urrbmi.access import passwords\n"
        "print(passwords.dummy_hash.cache_info().currsize)\n"
        "h = passwords.dummy_hash()\n"
        "print(passwords.verify(h, 'dummy-password-for-timing'))\n"
    )
    assert out.split() == ["0", "True"]


def test_every_lazy_command_loads_and_help_lists_them() -> None:
    res = CliRunner().invoke(main, ["--help"])
    assert res.exit_code == 0
    for name in COMMANDS:
        assert name in res.stdout
        assert main.get_command(None, name) is not None  # type: ignore[arg-type]
