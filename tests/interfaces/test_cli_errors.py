"""Every CLI error is one bilingual line on stderr and exit status 2 (issue 13, class 7): click's
usage errors, database addresses, files, the engine's refusals — through click's runner and
through a real process (no traceback)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from urrbmi.interfaces.cli import main

LINE = re.compile(r"^错误\[(?P<code>[a-z_]+)\]：(?P<zh>.+) / Error: (?P<en>.+)$")
CJK = re.compile(r"[\u4e00-\u9fff]")
REPO = Path(__file__).parents[2]


def one_line(args: list[str], stdin: str | None = None) -> re.Match[str]:
    res = CliRunner().invoke(main, args, input=stdin)
    assert res.exit_code == 2, (args, res.output, res.exception)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    m = LINE.match(lines[0])
    assert m, lines[0]
    assert CJK.search(m["zh"]), m["zh"]  # the Chinese half is Chinese, not click's English
    assert "Traceback" not in res.output
    return m


@pytest.mark.parametrize(
    ("args", "code", "zh"),
    [
        (["quote"], "missing_parameter", "缺少选项 --policy"),
        (["quote", "--policy"], "missing_parameter", "缺少值"),
        (["quote", "--polciy", "x"], "no_such_option", "没有选项 --polciy"),
        (["qoute"], "no_such_command", "没有命令“qoute”"),
        (["policy", "compare", "500114", "twenty", "2022"], "bad_parameter", "“twenty”不是整数"),
        (["policy", "check", "/nonexistent/p.yaml"], "bad_parameter", "不存在"),
        (
            ["campaign", "roster", "--format", "pdf", "-o", "x"],
            "bad_parameter",
            "不是可选值，应为：csv、xlsx",
        ),
        (["policies", "extra"], "extra_argument", "多余的参数"),
        (["list", "check", "x.csv", "--source", "m", "--as-of", "2021-13-01"], "bad_parameter", "不是日期"),
        (
            ["list", "check", "/nonexistent/x.csv", "--source", "m"],
            "bad_parameter",
            "“/nonexistent/x.csv”不存在",
        ),
    ],
)
def test_click_usage_errors_are_bilingual(args: list[str], code: str, zh: str) -> None:
    m = one_line(args)
    assert m["code"] == code and zh in m["zh"], m.group(0)


def test_a_word_for_a_date_is_bilingual(tmp_path: Path) -> None:
    f = tmp_path / "名单.csv"
    f.write_text("姓名,身份证号码\n", encoding="utf-8")
    m = one_line(["list", "check", str(f), "--source", "minzheng", "--as-of", "today"])
    assert m["code"] == "bad_parameter" and "不是日期" in m["zh"] and "YYYY-MM-DD" in m["zh"]


def test_engine_refusal_and_bad_input_are_one_line() -> None:
    m = one_line(["quote", "--policy", "suixi-2022"], stdin="{not json")
    assert m["code"] == "invalid_input"
    m = one_line(["quote", "--policy", "nowhere-2099"], stdin="{}")
    assert m["code"] == "unknown_policy"


def test_db_path_is_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "demo.sqlite"
    res = CliRunner().invoke(
        main, ["region", "add", "340000", "安徽省", "--level", "province", "--db", str(path)]
    )
    assert res.exit_code == 0, res.output
    assert path.is_file()
    res = CliRunner().invoke(main, ["region", "list", "--db", str(path)])
    assert res.exit_code == 0 and "安徽省" in res.stdout


def test_read_only_commands_create_no_database(tmp_path: Path) -> None:
    misspelt = tmp_path / "vra" / "urrbmi.sqlite"
    for args in (
        ["resident", "show", "340621197001010011"],
        ["region", "list"],
        ["campaign", "list"],
        ["db", "current"],
        ["review", "list"],
        ["user", "list"],
        ["targets", "loaded"],
    ):
        for db in (str(misspelt), f"sqlite:///{misspelt}"):
            m = one_line([*args, "--db", db])
            assert m["code"] == "database_missing", (args, m.group(0))
    assert not misspelt.exists() and not misspelt.parent.exists()
    m = one_line(["region", "list", "--db", str(tmp_path)])  # a directory is not a database
    assert m["code"] == "database_path"


@pytest.mark.parametrize(
    ("db", "code"),
    [
        ("foo://host/db", "database_url"),
        ("mysql+nodriver://u@h/db", "database_url"),
        ("postgresql", "database_url"),  # a kind, not a path: no SQLite file of that name
        ("postgresql+psycopg", "database_url"),
        ("postgresql:/postgres@127.0.0.1/urrbmi", "database_url"),  # the // lost
        ("postgresql+psycopg://postgres@127.0.0.1:1/urrbmi", "database_unavailable"),
        ("postgresql+psycopg://user:secret@127.0.0.1:1/urrbmi", "database_unavailable"),
    ],
)
def test_bad_database_addresses_are_one_line(db: str, code: str) -> None:
    m = one_line(["region", "add", "340000", "安徽省", "--level", "province", "--db", db])
    assert m["code"] == code
    assert "secret" not in m.group(0)  # a password is never printed
    assert not Path(db).exists()  # nothing created under the address's name


def test_os_errors_are_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    m = one_line(
        ["region", "add", "340000", "安徽省", "--level", "province", "--db", str(blocker / "x.sqlite")]
    )
    assert m["code"] == "database_path"


def test_a_real_process_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("URRBMI_DEBUG", None)
    for args, stdin in (
        (["region", "list", "--db", str(tmp_path / "nope" / "x.sqlite")], ""),
        (["region", "list", "--db", "postgresql+psycopg://postgres@127.0.0.1:1/x"], ""),
        (["region", "list", "--db", "foo://x"], ""),
        (["quote"], ""),
        (["policy", "compare", "500114", "twenty", "2022"], ""),
        (["quote", "--policy", "suixi-2022"], "[1, 2"),
    ):
        p = subprocess.run(
            [sys.executable, "-m", "urrbmi", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert p.returncode == 2, (args, p.stderr)
        assert p.stdout == ""
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and LINE.match(lines[0]), (args, p.stderr)
    assert not (tmp_path / "nope").exists()


def test_id_numbers_from_stdin_or_a_file_not_the_command_line(tmp_path: Path) -> None:
    from urrbmi.interfaces.cli_common import id_value as _id_value

    number = "34062119700101001X"
    f = tmp_path / "id.txt"
    f.write_text(f"\n{number}\n", encoding="utf-8")
    assert _id_value(None, None, f"@{f}") == number  # type: ignore[arg-type]
    # through the command line: the ID reaches the command (and its not-found error, masked)
    db = tmp_path / "u.sqlite"
    assert CliRunner().invoke(main, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    for args, stdin in ((["resident", "show", "-"], f"{number}\n"), (["resident", "show", f"@{f}"], None)):
        m = one_line([*args, "--db", str(db)], stdin=stdin)
        assert m["code"] == "not_found" and "3406**********001X" in m.group(0), m.group(0)
    f.write_text(f"{number}\n{number}\n", encoding="utf-8")
    m = one_line(["resident", "show", f"@{f}", "--db", str(db)])
    assert m["code"] == "missing_input" and "恰有一个" in m["zh"]
    m = one_line(["resident", "show", f"@{tmp_path / 'none.txt'}", "--db", str(db)])
    assert m["code"] == "invalid_input"
