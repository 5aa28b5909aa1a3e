"""`urrbmi user …` and `urrbmi channel add` (the first administrator is made this way)."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from urrbmi.access import passwords
from urrbmi.interfaces.cli import main


def test_user_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    db = f"sqlite:///{tmp_path / 'u.sqlite'}"
    run = CliRunner().invoke
    assert run(main, ["region", "add", "500114", "黔江区", "--level", "county", "--db", db]).exit_code == 0
    r = run(
        main,
        ["user", "add", "admin", "--role", "bureau_admin", "--region", "500114", "--db", db],
        input="a long password\na long password\n",
    )
    assert r.exit_code == 0, r.output
    assert "医保局管理员" in r.output
    r = run(
        main,
        [
            "user",
            "add",
            "up",
            "--role",
            "dept_uploader",
            "--region",
            "500114",
            "--db",
            db,
            "--password",
            "another long one",
        ],
    )
    assert r.exit_code != 0 and "名单来源" in r.output  # an uploader needs its sources
    r = run(
        main,
        [
            "user",
            "add",
            "up",
            "--role",
            "dept_uploader",
            "--region",
            "500114",
            "--source",
            "minzheng",
            "--db",
            db,
            "--password",
            "another long one",
        ],
    )
    assert r.exit_code == 0, r.output
    r = run(
        main,
        [
            "user",
            "add",
            "x",
            "--role",
            "village_agent",
            "--region",
            "500114",
            "--db",
            db,
            "--password",
            "short",
        ],
    )
    assert r.exit_code != 0 and "密码至少" in r.output
    r = run(main, ["user", "list", "--db", db])
    assert (
        "admin\tbureau_admin\t500114" in r.output
        and "up\tdept_uploader\t500114\tminzheng\tactive" in r.output
    )
    assert run(main, ["user", "disable", "up", "--db", db]).exit_code == 0
    assert "up\tdept_uploader\t500114\tminzheng\tdisabled" in run(main, ["user", "list", "--db", db]).output
    r = run(main, ["user", "reset-password", "up", "--db", db, "--password", "a brand new one"])
    assert r.exit_code == 0 and "active" in run(main, ["user", "list", "--db", db]).output.split("up\t")[1]
    r = run(main, ["channel", "add", "tax", "--payment-channel", "tax", "--campaign", "1", "--db", db])
    assert r.exit_code != 0  # no campaign 1
