"""黔江区人民政府办公室 2022年居民医保参保缴费通知 (Qianjiang 2022): every number, computed.
The annex-1 task table is checked in tests/targets."""

from __future__ import annotations

import datetime as dt

import pytest
from quote_helpers import D, q

from urrbmi.errors import NoBenefitPeriod, OutsideWindow
from urrbmi.policy import load_policy
from urrbmi.policy import schema as s

P = "qianjiang-2022"
IN = "2022-01-15"


def test_clause_1_1_fiscal_subsidy_580_up_30() -> None:
    fs = load_policy(P).model.fiscal_subsidy
    assert isinstance(fs, s.FiscalSubsidy)
    assert (fs.amount, fs.increase, fs.year_label) == (D(580), D(30), 2021)


@pytest.mark.parametrize(
    ("student", "tier", "standard"),
    [(None, 1, 320), (None, 2, 695), ("college", 1, 280), ("college", 2, 655)],
)
def test_clause_1_1_standards(student: str | None, tier: int, standard: int) -> None:
    assert q(P, paid_on=IN, student=student, tier=tier).standard == D(standard)


def test_clause_1_1_college_academic_year_2021_09_to_2022_08() -> None:
    r = q(P, paid_on=IN, student="college")
    assert (r.benefit_start, r.benefit_end) == (dt.date(2021, 9, 1), dt.date(2022, 8, 31))


@pytest.mark.parametrize("paid", ["2021-12-01", "2022-02-28"])
def test_clause_1_3_centralized_2021_12_01_to_2022_02_28_from_2022_01_01(paid: str) -> None:
    r = q(P, paid_on=paid)
    assert (r.benefit_start, r.benefit_end, r.waiting_days) == (dt.date(2022, 1, 1), dt.date(2022, 12, 31), 0)


def test_clause_1_3_before_window() -> None:
    with pytest.raises(OutsideWindow):
        q(P, paid_on="2021-11-30")


def test_clause_1_3_from_2022_03_01_waiting_90_days() -> None:
    r = q(P, paid_on="2022-03-01")
    assert (r.benefit_start, r.waiting_days, r.fiscal_portion_due) == (dt.date(2022, 5, 30), 90, D(0))
    r = q(P, paid_on="2022-06-30")
    assert (r.benefit_start, r.fiscal_portion_due) == (dt.date(2022, 9, 28), D(0))


def test_clause_1_3_from_2022_07_01_also_pays_fiscal_portion_580() -> None:
    r = q(P, paid_on="2022-07-01")
    assert (r.individual_payment, r.fiscal_portion_due, r.total_due) == (D(320), D(580), D(900))
    assert r.benefit_start == dt.date(2022, 9, 29)


def test_no_final_deadline_but_no_benefit_left_after_early_october() -> None:
    assert q(P, paid_on="2022-10-02").benefit_start == dt.date(2022, 12, 31)
    with pytest.raises(NoBenefitPeriod) as exc:
        q(P, paid_on="2022-10-03")
    assert "未规定最终缴费截止日" in exc.value.zh


@pytest.mark.parametrize(
    ("cat", "t1", "t2"),
    [
        ("特困人员", 320, 320),
        ("低保对象", 288, 320),
        ("低保边缘户", 224, 320),
        ("返贫致贫人口", 224, 320),
        ("脱贫不稳定户", 224, 320),
        ("边缘易致贫户", 224, 320),
        ("突发严重困难户", 224, 320),
        ("重度（1-2级）残疾人", 224, 320),
        ("在乡重点优抚对象", 224, 320),
        ("家庭经济困难在校大学生", 224, 320),
        ("因病致贫家庭重病患者", 224, 320),
        ("稳定脱贫人口", 100, 100),
    ],
)
def test_clause_2_subsidies_tier1_and_tier2(cat: str, t1: int, t2: int) -> None:
    r1, r2 = q(P, paid_on=IN, categories=[cat]), q(P, paid_on=IN, categories=[cat], tier=2)
    assert (r1.subsidy, r1.individual_payment) == (D(t1), D(320 - t1))
    assert (r2.subsidy, r2.individual_payment) == (D(t2), D(695 - t2))


def test_clause_2_funders() -> None:
    assert q(P, paid_on=IN, categories=["低保对象"]).subsidy_funder == "医疗救助资金"
    funder = q(P, paid_on=IN, categories=["稳定脱贫人口"]).subsidy_funder
    assert funder is not None and funder.startswith("区财政局")


def test_clause_2_percent_of_tier1_resident_standard_for_college_students() -> None:
    r = q(P, paid_on=IN, student="college", categories=["低保对象"])
    assert (r.standard, r.subsidy, r.individual_payment) == (D(280), D(280), D(0))  # 288 capped
    r = q(P, paid_on=IN, student="college", categories=["家庭经济困难在校大学生"])
    assert (r.subsidy, r.individual_payment) == (D(224), D(56))


def test_clause_2_2_low_income_7_after_july_fiscal_portion_funded_by_district() -> None:
    r = q(P, paid_on="2022-07-10", categories=["低保边缘户"])
    assert (r.individual_payment, r.fiscal_portion_due, r.total_due) == (D(96), D(0), D(96))
    r = q(P, paid_on="2022-07-10", categories=["稳定脱贫人口"])  # not among the 7 classes
    assert (r.individual_payment, r.fiscal_portion_due, r.total_due) == (D(220), D(580), D(800))


def test_clause_2_4_highest_identity_no_difference_after_payment() -> None:
    r = q(P, paid_on=IN, categories=["稳定脱贫人口", "重度残疾人", "低保对象"])
    assert (r.subsidy, r.subsidy_category) == (D(288), "低保对象")
    assert load_policy(P).identity_change == "no_difference"


def test_clause_3_and_4_task_463000_incentive_5_per_person() -> None:
    t = load_policy(P).model.targets
    assert t.task_total is not None and t.task_total.amount == 463000
    assert t.incentive_per_person is not None and t.incentive_per_person.amount == D(5)
    assert t.population_base is not None and t.population_base.as_of_label == "2020年末"


def test_clause_4_2_lists_by_2021_12_31_then_monthly_through_2022() -> None:
    ms = {m.code: m for m in load_policy(P).model.milestones}
    assert ms["department_lists"].end == dt.date(2021, 12, 31)
    assert (ms["monthly_lists"].start, ms["monthly_lists"].end) == (
        dt.date(2022, 1, 1),
        dt.date(2022, 12, 31),
    )
    assert (ms["centralized"].start, ms["centralized"].end) == (dt.date(2021, 12, 1), dt.date(2022, 2, 28))


def test_tie_between_identities_goes_to_the_rule_listed_first_whatever_the_input_order() -> None:
    for cats in (["低保对象", "特困人员"], ["特困人员", "低保对象"]):
        r = q(P, paid_on="2021-12-10", tier=2, categories=cats)
        assert (r.subsidy, r.subsidy_category) == (D(320), "特困人员")
