"""The campaign commands end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from dbfixtures import person
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from urrbmi.db.models import Campaign, Enrollment, Resident
from urrbmi.interfaces.cli import main
from urrbmi.policy import ResidentInput, load_policy, quote


def run(db: str, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, [*args, "--db", db], env={"URRBMI_ACTOR": "cli-test"})
    return res.exit_code, res.stdout, res.stderr


def ok(db: str, *args: str) -> str:
    code, out, err = run(db, *args)
    assert code == 0, (args, out, err)
    return out


def test_campaign_end_to_end(db_url: str, tmp_path: Path) -> None:
    ok(db_url, "db", "upgrade")
    ok(db_url, "region", "add", "500000", "重庆市", "--level", "province")
    ok(db_url, "region", "add", "500114", "黔江区", "--level", "county", "--parent", "500000")
    ok(db_url, "region", "add", "500114001", "城西街道", "--level", "town", "--parent", "500114")
    a = person("500114", dt.date(1980, 1, 1), 11)
    b = person("500114", dt.date(1985, 6, 1), 13)
    c = person("500114", dt.date(1990, 3, 3), 15)
    ok(db_url, "resident", "add", a, "--name", "甲", "--region", "500114001", "--identity", "低保对象")
    ok(db_url, "resident", "add", b, "--name", "乙", "--region", "500114001")
    ok(db_url, "resident", "add", c, "--name", "丙", "--region", "500114001")
    ok(db_url, "campaign", "create", "--policy", "qianjiang-2022", "--region", "500114")
    summary = json.loads(ok(db_url, "campaign", "assess", "--as-of", "2021-12-15"))
    assert summary["due"] == 3
    policy = load_policy("qianjiang-2022")
    due_b = quote(policy, ResidentInput.parse({"id_number": b, "paid_on": "2021-12-15"})).total_due
    # the season's receipts, entered afterwards: backdating needs an officer's --backdate
    code, _, err = run(
        db_url, "payment", "record", b, "--amount", str(due_b), "--ref", "现金-001", "--paid-on", "2021-12-15"
    )
    assert code == 2 and err.startswith("错误[backdate_not_allowed]") and len(err.strip().splitlines()) == 1
    out = json.loads(
        ok(
            db_url,
            "payment",
            "record",
            b,
            "--amount",
            str(due_b),
            "--ref",
            "现金-001",
            "--paid-on",
            "2021-12-15",
            "--backdate",
        )
    )
    assert out["status"] == "accepted" and out["receipt_no"] and b not in json.dumps(out)
    # a wrong amount at the counter is refused, saying the amount due; nothing is written
    code, _, err = run(
        db_url,
        "payment",
        "record",
        c,
        "--amount",
        "1",
        "--ref",
        "现金-002",
        "--paid-on",
        "2021-12-15",
        "--backdate",
    )
    assert code == 2 and err.startswith("错误[amount_mismatch]") and f"应缴{due_b:.2f}元" in err
    assert "现金-002" not in ok(db_url, "campaign", "reconcile")
    # a bank's file keeps its wrong amounts in the held queue
    f = tmp_path / "bank.csv"
    f.write_text(
        f"交易流水号,身份证号码,金额,缴费日期\nB1,{c},{due_b},2021-12-16\nB2,{a},1,2021-12-16\n",
        encoding="utf-8-sig",
    )
    imported = json.loads(ok(db_url, "payment", "import", str(f), "--channel", "bank"))
    assert imported["status"] == {"accepted": 1, "held": 1} and imported["held"] == {"amount_mismatch": 1}
    roster = tmp_path / "roster.csv"
    ok(db_url, "campaign", "roster", "--format", "csv", "-o", str(roster))
    rows = list(csv.reader(roster.read_text(encoding="utf-8-sig").splitlines()))
    assert [r[2] for r in rows[1:]] == [a]
    rec = json.loads(ok(db_url, "campaign", "reconcile"))
    assert rec["matched"]["count"] == 2 and len(rec["mismatches"]) == 1
    show = json.loads(ok(db_url, "resident", "show", b, "--on", "2021-12-20", "--json"))
    camp = show["campaigns"][0]
    assert camp["enrolled"] and Decimal(str(camp["amount_due"])) == due_b
    assert camp["payments"][0]["receipt_no"] == out["receipt_no"]
    assert camp["benefit_period"] == {"start": "2022-01-01", "end": "2022-12-31"}
    assert json.loads(ok(db_url, "campaign", "identity-changes", "--on", "2021-12-20")) == []
    assert json.loads(ok(db_url, "campaign", "duplicates")) == []


def test_errors_are_one_bilingual_line_and_change_nothing(db_url: str) -> None:
    ok(db_url, "db", "upgrade")
    code, _out, err = run(db_url, "resident", "show", person("500114", dt.date(1980, 1, 1), 11))
    assert (
        code == 2
        and err.startswith("错误[not_found]")
        and "Error:" in err
        and len(err.strip().splitlines()) == 1
    )
    assert "500114198001010" not in err  # the ID is masked
    code, _, err = run(db_url, "campaign", "create", "--policy", "qianjiang-2022", "--region", "500114")
    assert code == 2 and "not_found" in err
    code, _, err = run(
        db_url, "payment", "record", person("500114", dt.date(1980, 1, 1), 11), "--amount", "1", "--ref", "x"
    )
    assert code == 2 and "campaign" in err


SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # an internal code (policy_gap, employee_insurance)


def test_resident_show_is_readable_chinese_and_says_why_it_cannot_assess(db_url: str) -> None:
    ok(db_url, "db", "upgrade")
    for code, name, level, parent in [
        ("650000", "新疆维吾尔自治区", "province", None),
        ("652300", "昌吉回族自治州", "prefecture", "650000"),
        ("652301", "昌吉市", "county", "652300"),
        ("652301001", "宁边路街道", "town", "652301"),
    ]:
        ok(db_url, "region", "add", code, name, "--level", level, *(["--parent", parent] if parent else []))
    a = person("652301", dt.date(1980, 1, 1), 11)
    ok(db_url, "resident", "add", a, "--name", "甲", "--region", "652301001", "--identity", "低保对象")
    ok(db_url, "campaign", "create", "--policy", "changji-2023", "--region", "652301")
    # after Changji's window the notice is silent: the engine refuses (a policy gap)
    ok(db_url, "campaign", "assess", "--as-of", "2023-03-01")
    text = ok(db_url, "resident", "show", a)
    assert "居民：甲" in text and "当前身份：低保对象" in text and "人员状态：正常" in text
    assert "无法核定 — 政策changji-2023未规定" in text and "参保：未参保" in text
    assert not SNAKE.search(text.replace("changji-2023", "")), SNAKE.findall(text)
    assert a not in text  # masked
    data = json.loads(ok(db_url, "resident", "show", a, "--json"))
    camp = data["campaigns"][0]
    assert camp["assessment"] == "error" and camp["reason"] == "policy_gap"
    assert "未规定" in camp["message"] and "leaves this undefined" in camp["message"]
    # a resident who owes: the amount and the tier, in words
    ok(db_url, "campaign", "assess", "--as-of", "2022-11-15")
    text = ok(db_url, "resident", "show", a)
    assert re.search(r"核定：应缴\d+(\.\d+)?元（1档）", text) and "民政部门认定" in text, text
    assert not SNAKE.search(text), SNAKE.findall(text)


def test_a_double_enrollment_refused_by_the_database_is_one_bilingual_line(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import urrbmi.interfaces.cli_payment as cli

    ok(db_url, "db", "upgrade")
    ok(db_url, "region", "add", "500000", "重庆市", "--level", "province")
    ok(db_url, "region", "add", "500114", "黔江区", "--level", "county", "--parent", "500000")
    a = person("500114", dt.date(1980, 1, 1), 11)
    ok(db_url, "resident", "add", a, "--name", "甲", "--region", "500114")
    ok(db_url, "campaign", "create", "--policy", "qianjiang-2022", "--region", "500114")

    def racing(s: Session, c: Campaign, **_: object) -> None:
        rid = s.scalars(select(Resident.id)).one()
        row = {
            "campaign_id": c.id,
            "resident_id": rid,
            "benefit_year": c.benefit_year,
            "region_code": "500114",
            "source": "payment",
            "enrolled_on": dt.date(2021, 12, 15),
        }
        s.execute(insert(Enrollment), [row, row])  # what two racing writers would leave

    monkeypatch.setattr(cli, "record_payment", racing)
    code, _, err = run(db_url, "payment", "record", a, "--amount", "1", "--ref", "x")
    assert code == 2 and err.startswith("错误[already_enrolled]") and len(err.strip().splitlines()) == 1
    assert "只能参保一次" in err and "Traceback" not in err
    # and a second campaign over part of the county is refused, naming the first
    ok(db_url, "region", "add", "500114001", "城西街道", "--level", "town", "--parent", "500114")
    code, _, err = run(db_url, "campaign", "create", "--policy", "qianjiang-2022", "--region", "500114001")
    assert code == 2 and err.startswith("错误[campaign_overlap]") and "征缴批次1（黔江区，500114）" in err
