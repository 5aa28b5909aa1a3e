"""The session-2 campaign commands end to end: tier choice, settings, re-assessment of changed
identities, and accepting a held payment after review (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from dbfixtures import person

from urrbmi.interfaces.cli import main
from urrbmi.policy import ResidentInput, load_policy, quote


def run(db: str, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, [*args, "--db", db], env={"URRBMI_ACTOR": "cli-test"})
    return res.exit_code, res.stdout, res.stderr


def ok(db: str, *args: str) -> dict[str, Any]:
    code, out, err = run(db, *args)
    assert code == 0, (args, out, err)
    result: dict[str, Any] = json.loads(out)
    return result


def test_tier_configure_reassess_and_accept(db_url: str, tmp_path: Path) -> None:
    def ok_(*a: str) -> bool:
        return run(db_url, *a)[0] == 0

    assert ok_("db", "upgrade")
    assert ok_("region", "add", "500000", "重庆市", "--level", "province")
    assert ok_("region", "add", "500230", "丰都县", "--level", "county", "--parent", "500000")
    assert ok_("region", "add", "500230108", "社坛镇", "--level", "town", "--parent", "500230")
    a = person("500230", dt.date(1980, 1, 1), 11)
    b = person("500230", dt.date(1985, 6, 1), 13)
    assert ok_("resident", "add", a, "--name", "甲", "--region", "500230108")
    assert ok_("resident", "add", b, "--name", "乙", "--region", "500230108")
    assert ok_("campaign", "create", "--policy", "fengdu-shetan-2023", "--region", "500230")
    day = "2022-11-15"
    assert ok(db_url, "campaign", "assess", "--as-of", day)["assessed"] == 2
    assert ok(db_url, "campaign", "tier", b, "2")["assessed"] == 1
    code, _, err = run(db_url, "campaign", "tier", b, "3")
    assert code != 0 and "invalid_input" in err
    conf = ok(db_url, "campaign", "configure", "--no-enroll-subsidised")
    assert conf["enroll_subsidised"] is False and conf["default_tier"] == 1
    assert ok(db_url, "campaign", "assess", "--as-of", day, "--changed-only")["assessed"] == 0
    assert ok_("resident", "identity", a, "低保对象", "--from", "2022-01-01")
    assert ok(db_url, "campaign", "assess", "--as-of", day, "--changed-only")["assessed"] == 1
    policy = load_policy("fengdu-shetan-2023")
    due_b = quote(policy, ResidentInput.parse({"id_number": b, "tier": 2, "paid_on": dt.date(2022, 11, 15)}))
    # b pays the tier-1 amount by mistake at the bank: held; the officer accepts it with a reason
    due_b1 = quote(policy, ResidentInput.parse({"id_number": b, "tier": 1, "paid_on": dt.date(2022, 11, 15)}))
    f = tmp_path / "bank.csv"
    f.write_text(f"交易流水号,身份证号码,金额,缴费日期\nR1,{b},{due_b1.total_due},{day}\n", encoding="utf-8")
    assert ok(db_url, "payment", "import", str(f), "--channel", "bank")["held"] == {"amount_mismatch": 1}
    held = ok(db_url, "campaign", "reconcile")["mismatches"]
    assert len(held) == 1
    paid = held[0]
    code, _, err = run(db_url, "payment", "accept", "--payment", str(paid["payment"]), "--reason", "")
    assert code != 0 and "invalid_input" in err
    out = ok(
        db_url, "payment", "accept", "--payment", str(paid["payment"]), "--reason", "按一档收取，差额另行补缴"
    )
    assert out["status"] == "accepted" and out["receipt_no"] is not None
    assert Decimal(str(out["due"])) == due_b.total_due
    shown = ok(db_url, "resident", "show", b, "--json")["campaigns"][0]
    assert shown["enrolled"] is True and shown["tier"] == 2 and shown["explanation"]
