"""`urrbmi school …` (issue 14 item 4, 泰兴 四（一）2): register, roster, statement, pay, progress,
in Chinese, errors exit 2; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from dbfixtures import person

from urrbmi.interfaces.cli import main


def run(db: str, *args: str) -> tuple[int, str, str]:
    env = {"URRBMI_ACTOR": "officer-zhou", "URRBMI_TODAY": "2021-09-20"}
    res = CliRunner().invoke(main, [*args, "--db", db], env=env)
    return res.exit_code, res.stdout, res.stderr


def ok(db: str, *args: str) -> str:
    code, out, err = run(db, *args)
    assert code == 0, (args, out, err)
    return out


def refused(db: str, code_name: str, *args: str) -> str:
    code, out, err = run(db, *args)
    assert code == 2 and err.startswith(f"错误[{code_name}]") and "Traceback" not in err, (out, err)
    return err


def test_taixing_4_1_2_school_pays_for_pupils_by_cli(db_url: str, tmp_path: Path) -> None:
    ok(db_url, "db", "upgrade")
    for args in (
        ("320000", "江苏省", "--level", "province"),
        ("321200", "泰州市", "--level", "prefecture", "--parent", "320000"),
        ("321283", "泰兴市", "--level", "county", "--parent", "321200"),
        ("321283001", "济川街道", "--level", "town", "--parent", "321283"),
    ):
        ok(db_url, "region", "add", *args)
    pupils = [person("321283", dt.date(2008, 1, 1 + i), 11 + 2 * i) for i in range(3)]
    for i, number in enumerate(pupils):
        ok(db_url, "resident", "add", number, "--name", f"学生{i}", "--region", "321283001")
    ok(db_url, "campaign", "create", "--policy", "taixing-2022", "--region", "321283")
    ok(db_url, "campaign", "assess", "--as-of", "2021-09-20")
    assert "已登记学校1" in ok(db_url, "school", "register", "--name", "济川小学", "--region", "321283001")
    refused(db_url, "conflict", "school", "register", "--name", "济川小学", "--region", "321283001")
    roster = tmp_path / "名册.csv"
    rows = "".join(f"学生{i},{n},六（1）班\n" for i, n in enumerate(pupils))
    roster.write_bytes(("姓名,身份证号码,班级\n" + rows + "某某,123,六（1）班\n").encode("gb18030"))
    refused(db_url, "invalid_input", "school", "roster", "1")  # neither a file nor --from-registry
    out = ok(db_url, "school", "roster", "1", str(roster))
    assert "登记学生3人" in out and "第5行" in out and "身份证号码" in out
    out = ok(db_url, "school", "statement", "1")
    assert "应缴3人，合计600.00元" in out and pupils[0] not in out  # IDs masked
    xlsx = tmp_path / "清单.xlsx"
    assert "已导出" in ok(db_url, "school", "statement", "1", "--out", str(xlsx)) and xlsx.exists()
    err = refused(db_url, "amount_mismatch", "school", "pay", "1", "--amount", "500", "--ref", "JC-1")
    assert "应缴合计600.00元" in err
    refused(db_url, "not_found", "school", "pay", "9", "--amount", "600", "--ref", "JC-1")
    out = ok(db_url, "school", "pay", "1", "--amount", "600.00", "--ref", "JC-1")
    assert "入账3人" in out and out.count("收据") == 3 and "银行转账" in out and "bank" not in out
    assert "未重复入账" in ok(db_url, "school", "pay", "1", "--amount", "600.00", "--ref", "JC-1")
    out = ok(db_url, "school", "progress")
    assert "济川街道 济川小学：名册3人，已参保3人，参保率100.00%" in out
    assert "济川小学" in ok(db_url, "school", "list")
