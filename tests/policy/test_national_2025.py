"""Rule kinds of notices elsewhere as data (issue 17 item 2), on the fixture national-2025:
the national waiting rule from 2025 (国办发〔2024〕38号), conditional premiums, stage fields.
The figures themselves are cases in fixtures/national-2025.tests.yaml (run by test_casefile)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from urrbmi.errors import PolicyFileError
from urrbmi.policy import ResidentInput, load_policy_file, quote
from urrbmi.policy.summary import policy_summary

FIXTURE = Path(__file__).parent / "fixtures" / "national-2025.yaml"


def test_national_3_2_wait_counted_from_the_period_start_when_the_notice_says_so() -> None:
    p = load_policy_file(FIXTURE)
    assert p.model.continuity is not None
    cont = p.model.continuity.model_copy(update={"counted_from": "period_start"})
    q = quote(
        dataclasses.replace(p, model=p.model.model_copy(update={"continuity": cont})),
        ResidentInput(paid_on=dt.date(2024, 10, 15), birth_date=dt.date(1980, 5, 5), insured_years=(2023,)),
    )
    # lapsed one year (2024), paid before the benefit year: 3 months from 1 January
    assert q.benefit_start == dt.date(2025, 4, 1)
    assert "自待遇享受期起始日起算" in q.explanation[-2].rule


def test_national_3_2_a_pathway_waiting_by_the_national_rule_needs_the_section(tmp_path: Path) -> None:
    text = FIXTURE.read_text("utf-8")
    cut = text.index("continuity:")
    end = text.index("pathways:")
    bad = tmp_path / "national-2025.yaml"
    bad.write_text(text[:cut] + text[end:], "utf-8")
    with pytest.raises(PolicyFileError, match="continuity"):
        load_policy_file(bad)


def test_quote_answer_carries_each_stage_of_the_amount_due() -> None:
    p = load_policy_file(FIXTURE)
    q = quote(
        p,
        ResidentInput(
            paid_on=dt.date(2024, 10, 15), birth_date=dt.date(1980, 5, 5), categories=("重度残疾人",)
        ),
    )
    assert {k: str(v) for k, v in q.as_dict()["stages"].items()} == {
        "standard": "400",
        "reduction": "200",
        "assistance": "200",
        "fiscal_portion_due": "0",
        "other_premiums": "30",
        "total_due": "30",
    }


def test_policy_show_names_the_premiums_conditions_waivers_and_the_national_rule() -> None:
    p = load_policy_file(FIXTURE)
    text = policy_summary(p)
    assert "长期护理保险：30元/人·年（缴纳范围：年满18周岁）" in text
    assert "免缴：低保对象中的重度残疾人，由残联代缴" in text
    assert "60周岁以上低保对象：全额资助（条件：年满60周岁）" in text
    assert "固定待遇等待期3个月；每多断保1年增加1个月" in text
    assert "（断保人员在集中参保期中缴费也适用）" in text
    assert "返乡农民工：缴费次日起满30日后享受待遇" in text
    assert "centralized" not in text  # names, not codes


def test_explained_quote_shows_the_reduction_assistance_and_other_premium_lines() -> None:
    from urrbmi.policy.summary import explain_quote

    p = load_policy_file(FIXTURE)
    q = quote(
        p,
        ResidentInput(
            paid_on=dt.date(2024, 10, 15), birth_date=dt.date(1980, 5, 5), categories=("重度残疾人",)
        ),
    )
    text = explain_quote(q)
    assert "减免：200元\n资助（减免后）：200元（重度残疾人）" in text
    assert "同时缴纳的其他保费：30元\n合计应缴：30元" in text
