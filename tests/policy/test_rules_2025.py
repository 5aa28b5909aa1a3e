"""Rule kinds of notices elsewhere as data (issue 17 item 2), on the fixture rules-2025:
benefit periods by cohort, "next month" / "the month after next" by the length of the gap, the
identity reference date, newborns paying across the year boundary. The figures themselves are
cases in fixtures/rules-2025.tests.yaml (run by test_casefile)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from urrbmi.errors import PolicyFileError
from urrbmi.policy import ResidentInput, load_policy_file, quote
from urrbmi.policy.summary import policy_summary

FIXTURE = Path(__file__).parent / "fixtures" / "rules-2025.yaml"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = FIXTURE.read_text("utf-8")
    assert old in text
    path = tmp_path / FIXTURE.name
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


def test_rules_4_2_first_year_college_students_covered_16_months_from_1_september() -> None:
    q = quote(
        load_policy_file(FIXTURE),
        ResidentInput(
            paid_on=dt.date(2024, 9, 10), birth_date=dt.date(2006, 3, 1), student="college", new_student=True
        ),
    )
    assert (q.benefit_start, q.benefit_end) == (dt.date(2024, 9, 1), dt.date(2025, 12, 31))
    step = next(s for s in q.explanation if s.step == "benefit_period")
    assert step.value == "2024-09-01至2025-12-31，共16个月" and step.cite.endswith("四（二）")


def test_rules_4_2_a_cohort_gives_an_end_or_a_number_of_months(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match=r"end.*months"):
        load_policy_file(_variant(tmp_path, "months: 16", "months: 16\n      end: 2025-12-31"))
    p = load_policy_file(_variant(tmp_path, "months: 16", "end: 2025-08-31"))
    q = quote(
        p,
        ResidentInput(
            paid_on=dt.date(2024, 9, 10), birth_date=dt.date(2006, 3, 1), student="college", new_student=True
        ),
    )
    assert q.benefit_end == dt.date(2025, 8, 31)


def test_rules_5_3_newborns_counted_from_a_day_in_the_year_before_at_most(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="newborn_born_from"):
        load_policy_file(
            _variant(
                tmp_path,
                "newborn_born_from: 2024-10-01, born_before",
                "newborn_born_from: 2023-10-01, born_before",
            )
        )


def test_rules_5_3_without_before_period_a_start_before_the_period_moves_to_its_start(tmp_path: Path) -> None:
    p = load_policy_file(_variant(tmp_path, "    before_period: true\n", ""))
    q = quote(p, ResidentInput(paid_on=dt.date(2025, 1, 15), birth_date=dt.date(2024, 11, 20)))
    assert q.benefit_start == dt.date(2025, 1, 1)


def test_rules_3_2_reference_date_goes_with_as_of_reference_date(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="reference_date"):
        load_policy_file(_variant(tmp_path, "as_of: reference_date", "as_of: payment"))


def test_summary_shows_cohorts_month_after_next_and_the_reference_label() -> None:
    p = load_policy_file(FIXTURE)
    text = policy_summary(p)
    assert "新入学大学生：2024-09-01至2025-12-31（共16个月）" in text
    assert "缴费次月的次月起" in text
    assert "出生之日起享受待遇；可早于待遇享受期起始日（跨年度）" in text
    assert "按民政部门名单在册之日2024-08-31的身份" in text
    en = policy_summary(p, "en")
    assert "from the second month after payment" in en and "(民政部门名单在册之日)" in en
