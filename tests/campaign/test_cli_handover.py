"""`urrbmi handover …` from the agent's cash to a confirmed batch, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from click.testing import CliRunner
from dbfixtures import person

from urrbmi.interfaces.cli import main
from urrbmi.policy import ResidentInput, load_policy, quote


def run(db: str, *args: str, actor: str = "agent-wang") -> tuple[int, str, str]:
    env = {"URRBMI_ACTOR": actor, "URRBMI_TODAY": "2021-12-15"}
    res = CliRunner().invoke(main, [*args, "--db", db], env=env)
    return res.exit_code, res.stdout, res.stderr


def ok(db: str, *args: str, actor: str = "agent-wang") -> str:
    code, out, err = run(db, *args, actor=actor)
    assert code == 0, (args, out, err)
    return out


def refused(db: str, code_name: str, *args: str, actor: str = "agent-wang") -> str:
    code, out, err = run(db, *args, actor=actor)
    assert code == 2 and err.startswith(f"错误[{code_name}]") and len(err.strip().splitlines()) == 1, (
        out,
        err,
    )
    return err


def test_handover_from_cash_to_confirmed_by_cli(db_url: str) -> None:
    ok(db_url, "db", "upgrade")
    ok(db_url, "region", "add", "500000", "重庆市", "--level", "province")
    ok(db_url, "region", "add", "500114", "黔江区", "--level", "county", "--parent", "500000")
    ok(db_url, "region", "add", "500114001", "城西街道", "--level", "town", "--parent", "500114")
    people = [person("500114", dt.date(1980 + i, 1, 1), 11 + 2 * i) for i in range(3)]
    for i, number in enumerate(people):
        ok(db_url, "resident", "add", number, "--name", f"居民{i}", "--region", "500114001")
    ok(db_url, "campaign", "create", "--policy", "qianjiang-2022", "--region", "500114")
    ok(db_url, "campaign", "assess", "--as-of", "2021-12-14")
    policy = load_policy("qianjiang-2022")
    total = Decimal(0)
    for i, (number, day) in enumerate(zip(people, ["2021-12-14", "2021-12-14", "2021-12-15"], strict=True)):
        due = quote(policy, ResidentInput.parse({"id_number": number, "paid_on": day})).total_due
        total += due
        ok(db_url, "payment", "record", number, "--amount", str(due), "--ref", f"现金-{i}", "--paid-on", day)
    out = ok(db_url, "handover", "daily", "--day", "2021-12-14")
    assert "现金收款2笔" in out and "未解缴" in out and people[0] not in out  # IDs masked
    assert "agent-wang" in ok(db_url, "handover", "report", "--older-than", "0")
    out = ok(db_url, "handover", "submit", "--through", "2021-12-15")
    assert "已提交解缴批次1" in out and f"应解缴{total:.2f}元" in out
    refused(db_url, "conflict", "handover", "confirm", "1", "--received", str(total))  # not the agent
    short = f"{total - 10:.2f}"
    err = refused(
        db_url, "invalid_input", "handover", "confirm", "1", "--received", short, actor="officer-li"
    )
    assert "短款10.00元" in err and "原因" in err
    out = ok(
        db_url, "handover", "confirm", "1", "--received", short, "--reason", "少一张十元", actor="officer-li"
    )
    assert "短款10.00元（-10.00）" in out and "少一张十元" in out
    assert "已确认" in ok(db_url, "handover", "list")
    report = ok(db_url, "handover", "report")
    assert "差额：短款10.00元" in report and "未解缴0.00元" in report
    # a handed-over receipt: cancelled only with --officer
    refused(db_url, "handed_over", "payment", "cancel", "现金-0", "--channel", "cash", "--reason", "职工医保")
    out = ok(db_url, "payment", "cancel", "现金-0", "--channel", "cash", "--reason", "职工医保", "--officer",
             actor="officer-li")  # fmt: skip
    assert "已退费" in out
    assert "解缴后撤销1笔" in ok(db_url, "handover", "list")


@pytest.mark.parametrize("received", ["abc", "-1", "1.234"])
def test_a_bad_amount_received_is_one_line(db_url: str, received: str) -> None:
    ok(db_url, "db", "upgrade")
    refused(db_url, "invalid_input", "handover", "confirm", "1", "--received", received, actor="officer-li")
