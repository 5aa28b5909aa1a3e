"""The quote command's contract: JSON in, JSON out; errors exit 2 with one bilingual line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from urrbmi.interfaces.cli import main


def run(args: list[str], stdin: str = "") -> tuple[int, str, str]:
    res = CliRunner().invoke(main, args, input=stdin)
    return res.exit_code, res.stdout, res.stderr


def test_quote_json_contract() -> None:
    code, out, err = run(
        ["quote", "--policy", "qianjiang-2022"],
        json.dumps({"paid_on": "2022-07-01", "categories": ["低保对象"], "tier": 2}),
    )
    assert code == 0 and err == ""
    data = json.loads(out)
    expected_keys = {
        "policy",
        "person_class",
        "standard",
        "subsidy",
        "subsidy_category",
        "subsidy_funder",
        "individual_payment",
        "fiscal_portion_due",
        "total_due",
        "benefit_start",
        "benefit_end",
        "waiting_days",
        "explanation",
    }
    assert expected_keys <= set(data)
    assert (data["standard"], data["subsidy"], data["individual_payment"]) == (695, 320, 375)
    assert data["fiscal_portion_due"] == 0 and data["total_due"] == 375
    assert data["benefit_start"] == "2022-09-29" and data["waiting_days"] == 90
    assert all({"step", "rule", "cite"} <= set(s) for s in data["explanation"])


def test_money_keeps_fractions_exact() -> None:
    # a percentage giving a non-integer amount: 75% of 350 would be 262.5 — check the JSON
    # carries the exact decimal by quoting a two-stage-free case with .5 from the money helper
    from decimal import Decimal

    from urrbmi.money import canonical

    assert str(canonical(Decimal("262.50"))) == "262.5"
    assert str(canonical(Decimal("350.00"))) == "350"
    assert str(canonical(Decimal("73.20"))) == "73.2"


@pytest.mark.parametrize(
    ("policy", "payload", "code_name"),
    [
        ("nope-2022", {"paid_on": "2022-01-01"}, "unknown_policy"),
        ("suixi-2022", {"paid_on": "2021-11-01", "id_number": "110105194912310021"}, "invalid_id"),
        ("suixi-2022", {"paid_on": "2021-11-01", "id_number": "11010519491331002X"}, "invalid_id"),
        ("suixi-2022", {"paid_on": "2021-09-01"}, "outside_window"),
        ("suixi-2022", {"paid_on": "2021-11-01", "categories": ["重点优抚对象"]}, "policy_gap"),
        ("suixi-2022", {"paid_on": "2021-11-01", "categories": ["火星人"]}, "unknown_category"),
        ("suixi-2022", {}, "missing_input"),
        ("suixi-2022", {"paid_on": "2021-11-01", "colour": "red"}, "invalid_input"),
        ("suixi-2022", {"paid_on": "2021-11-01", "tier": 2}, "invalid_input"),
        ("taixing-2022", {"paid_on": "2021-11-01"}, "missing_input"),
    ],
)
def test_errors_exit_2_one_line_no_stdout(policy: str, payload: dict[str, object], code_name: str) -> None:
    code, out, err = run(["quote", "--policy", policy], json.dumps(payload))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"错误[{code_name}]") and "Error:" in lines[0]
    assert "Traceback" not in err


def test_invalid_json() -> None:
    code, out, err = run(["quote", "--policy", "suixi-2022"], "{not json")
    assert code == 2 and out == "" and "JSON" in err


def test_id_numbers_are_masked_in_errors() -> None:
    code, _, err = run(
        ["quote", "--policy", "suixi-2022"],
        json.dumps({"paid_on": "2021-11-01", "id_number": "110105194912310021"}),
    )
    assert code == 2 and "110105194912310021" not in err and "1101**********0021" in err


def test_explain_is_readable_chinese() -> None:
    code, out, _ = run(
        ["quote", "--policy", "changji-2023", "--explain"],
        json.dumps(
            {"paid_on": "2022-11-01", "birth_date": "1960-01-01", "categories": ["低保对象", "稳定脱贫人口"]}
        ),
    )
    assert code == 0
    assert "合计应缴：40元" in out and "就高不就低" in out and "昌州医保发〔2022〕12号 三（二）" in out


def test_policies_and_policy_show() -> None:
    code, out, _ = run(["policies"])
    assert code == 0 and out.count("\n") >= 5 and "suixi-2022" in out
    code, out, _ = run(["policy", "show", "changji-2023"])
    assert code == 0
    for text in ("410元", "488", "73.2", "98.8", "13700", "6850", "就高不就低", "〔昌州医保发〔2022〕12号"):
        assert text in out
    code, out, _ = run(["policy", "show", "suixi-2022"])
    assert "【未规定】" in out and "900" in out


def test_policy_schema_is_json() -> None:
    code, out, _ = run(["policy", "schema"])
    assert code == 0 and json.loads(out)["title"] == "Policy"


def test_real_process_exit_code() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "urrbmi", "quote", "--policy", "suixi-2022"],
        input='{"paid_on": "2021-11-01", "categories": ["低保对象"]}',
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)["total_due"] == 40
    proc = subprocess.run(
        [sys.executable, "-m", "urrbmi", "quote", "--policy", "suixi-2022"],
        input='{"paid_on": "2020-11-01"}',
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and proc.stdout == "" and proc.stderr.count("\n") == 1
