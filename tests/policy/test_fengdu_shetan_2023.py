"""社坛府发〔2022〕192号 (Fengdu county, Shetan town, 2023): every number, computed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from quote_helpers import D, q

from urrbmi.errors import NoBenefitPeriod, OutsideWindow, PolicyGap
from urrbmi.policy import load_policy
from urrbmi.policy import schema as s

P = "fengdu-shetan-2023"
IN = "2022-11-20"
FIXTURES = Path(__file__).parent / "fixtures"


def test_documents() -> None:
    docs = load_policy(P).model.documents
    assert docs["main"].number == "社坛府发〔2022〕192号"
    assert docs["main"].issued_on == dt.date(2022, 11, 7)
    assert docs["cq"].number == "渝医保发〔2022〕25号"
    assert docs["county"].number == "丰都府办〔2022〕126号"


def test_clause_1_base_2022_10_30_low_income_100_percent_within_window() -> None:
    t = load_policy(P).model.targets
    assert t.population_base is not None and t.population_base.as_of == dt.date(2022, 10, 30)
    low = next(r for r in t.rates if r.group == "low_income")
    assert low.rate == 100 and low.within_window == "centralized"
    assert len(low.categories) == 8  # 7 low-income classes + 稳定脱贫人口


@pytest.mark.parametrize(
    ("student", "tier", "standard"),
    [(None, 1, 350), (None, 2, 725), ("school", 1, 350), ("college", 1, 320), ("college", 2, 695)],
)
def test_clause_2_2_standards(student: str | None, tier: int, standard: int) -> None:
    r = q(P, paid_on=IN, student=student, tier=tier)
    assert r.standard == D(standard) and r.total_due == D(standard)


def test_clause_2_3_fiscal_subsidy_is_a_named_gap() -> None:
    assert isinstance(load_policy(P).model.fiscal_subsidy, s.Gap)


@pytest.mark.parametrize("cat", ["孤儿", "事实无人抚养儿童", "特困人员"])
def test_clause_2_4_1_orphans_tekun_350_in_either_tier(cat: str) -> None:
    t1 = q(P, paid_on=IN, categories=[cat])
    t2 = q(P, paid_on=IN, categories=[cat], tier=2)
    assert (t1.subsidy, t1.individual_payment) == (D(350), D(0))
    assert (t2.subsidy, t2.individual_payment) == (D(350), D(375))


def test_clause_2_4_1_dibao_tier1_90_percent_315_tier2_350() -> None:
    t1 = q(P, paid_on=IN, categories=["城乡低保对象"])
    t2 = q(P, paid_on=IN, categories=["低保对象"], tier=2)
    assert (t1.subsidy, t1.individual_payment) == (D(315), D(35))
    assert (t2.subsidy, t2.individual_payment) == (D(350), D(375))


@pytest.mark.parametrize(
    "cat",
    [
        "城乡重度（一、二级）残疾人员",
        "在乡重点优抚对象",
        "民政部门建档其他人员",
        "因病致贫家庭重病患者",
        "返贫致贫人口",
        "脱贫不稳定户",
        "边缘易致贫户",
        "突发严重困难户",
    ],
)
def test_clause_2_4_70_percent_245_tier2_350(cat: str) -> None:
    t1 = q(P, paid_on=IN, categories=[cat])
    t2 = q(P, paid_on=IN, categories=[cat], tier=2)
    assert (t1.subsidy, t1.individual_payment) == (D(245), D(105))
    assert (t2.subsidy, t2.individual_payment) == (D(350), D(375))


def test_clause_2_4_1_old_demobilized_soldiers_725_full_in_tier2() -> None:
    r = q(P, paid_on=IN, categories=["在乡老复员军人"], tier=2)
    assert (r.subsidy, r.individual_payment) == (D(725), D(0))
    with pytest.raises(PolicyGap) as exc:
        q(P, paid_on=IN, categories=["在乡老复员军人"], tier=1)
    assert "参加一档" in exc.value.zh


def test_clause_2_4_2_stable_out_of_poverty_50_in_both_tiers() -> None:
    assert q(P, paid_on=IN, categories=["稳定脱贫人口"]).individual_payment == D(300)
    assert q(P, paid_on=IN, categories=["稳定脱贫人口"], tier=2).individual_payment == D(675)


def test_clause_2_4_subsidy_capped_at_college_standard() -> None:
    r = q(P, paid_on=IN, categories=["特困人员"], student="college")
    assert (r.standard, r.subsidy, r.individual_payment) == (D(320), D(320), D(0))
    r = q(P, paid_on=IN, categories=["低保对象"], student="college")
    assert (r.subsidy, r.individual_payment) == (D(315), D(5))


def test_clause_2_4_2_highest_identity_at_payment_no_difference_after() -> None:
    r = q(P, paid_on=IN, categories=["稳定脱贫人口", "低保对象", "返贫致贫人口"])
    assert (r.subsidy, r.subsidy_category) == (D(315), "城乡低保对象")
    assert load_policy(P).identity_change == "no_difference"


@pytest.mark.parametrize(
    ("paid", "start", "waiting", "window"),
    [
        ("2022-10-25", "2023-01-01", 0, "centralized"),
        ("2022-12-31", "2023-01-01", 0, "centralized"),
        ("2023-01-01", "2023-02-01", 0, "late_jan_feb"),
        ("2023-01-31", "2023-02-01", 0, "late_jan_feb"),
        ("2023-02-28", "2023-03-01", 0, "late_jan_feb"),
        ("2023-03-01", "2023-05-30", 90, "late_waiting"),
        ("2023-03-10", "2023-06-08", 90, "late_waiting"),
        ("2023-06-30", "2023-09-28", 90, "late_waiting"),
    ],
)
def test_clause_3_bands(paid: str, start: str, waiting: int, window: str) -> None:
    r = q(P, paid_on=paid)
    assert (r.benefit_start.isoformat(), r.waiting_days, r.window) == (start, waiting, window)
    assert r.benefit_end == dt.date(2023, 12, 31)
    assert r.fiscal_portion_due == 0


def test_clause_3_1_before_window_and_after_final_deadline() -> None:
    with pytest.raises(OutsideWindow):
        q(P, paid_on="2022-10-24")
    with pytest.raises(OutsideWindow) as exc:
        q(P, paid_on="2023-10-01")
    assert "2023年9月30日" in exc.value.zh


def test_clause_3_1_after_june_30_fiscal_portion_is_due_but_amount_is_a_gap() -> None:
    for paid in ("2023-07-01", "2023-09-30"):
        with pytest.raises(PolicyGap) as exc:
            q(P, paid_on=paid)
        assert "以文件规定为准" in exc.value.zh


def test_gap_filled_by_amendment_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URRBMI_POLICY_PATH", str(FIXTURES))
    r = q("fengdu-shetan-2023-filled", paid_on="2023-09-30")
    assert (r.fiscal_portion_due, r.total_due) == (D(640), D(990))
    assert r.benefit_start == dt.date(2023, 12, 29)
    r = q("fengdu-shetan-2023-filled", paid_on="2023-07-01", categories=["低保对象"])
    assert (r.individual_payment, r.fiscal_portion_due, r.total_due) == (D(35), D(640), D(675))
    assert r.benefit_start == dt.date(2023, 7, 2)  # low-income: no waiting period


def test_clause_3_newborn_within_90_days_from_birth() -> None:
    r = q(P, paid_on="2023-05-02", birth_date="2023-02-01")  # birth + 90 days
    assert (r.benefit_start, r.window, r.waiting_days) == (dt.date(2023, 2, 1), "newborn", 0)
    assert r.total_due == D(350)
    r = q(P, paid_on="2023-05-03", birth_date="2023-02-01")  # day 91
    assert (r.window, r.benefit_start) == ("late_waiting", dt.date(2023, 8, 1))


def test_clause_3_newborn_following_enrolled_guardian() -> None:
    r = q(P, paid_on="2023-08-20", birth_date="2023-03-01", guardian_enrolled=True)
    assert (r.window, r.benefit_start, r.total_due) == ("newborn_guardian", dt.date(2023, 3, 1), D(0))
    r = q(P, paid_on="2022-11-20", birth_date="2022-03-01", guardian_enrolled=True)
    assert r.window == "centralized" and r.total_due == D(350)  # born 2022: not a 2023 newborn


def test_clause_3_3_college_academic_year_and_graduates_to_december() -> None:
    r = q(P, paid_on=IN, student="college")
    assert (r.benefit_start, r.benefit_end) == (dt.date(2022, 9, 1), dt.date(2023, 8, 31))
    g = q(P, paid_on=IN, student="college", graduating=True)
    assert g.benefit_end == dt.date(2023, 12, 31)
    with pytest.raises(NoBenefitPeriod):
        q(P, paid_on="2023-06-10", student="college")  # 90 days runs past 2023-08-31


def test_clause_4_3_employee_insurance_gap_within_3_months_no_waiting() -> None:
    ei = {"ended_on": "2023-01-15", "years": 1}
    r = q(P, paid_on="2023-04-15", employee_insurance=ei)
    assert (r.benefit_start, r.waiting_days) == (dt.date(2023, 4, 16), 0)
    r = q(P, paid_on="2023-04-16", employee_insurance=ei)
    assert (r.benefit_start, r.waiting_days) == (dt.date(2023, 7, 15), 90)


@pytest.mark.parametrize("cat", ["低保边缘户", "突发严重困难户", "稳定脱贫人口", "特困人员"])
def test_clause_4_3_low_income_and_stable_out_of_poverty_no_waiting(cat: str) -> None:
    r = q(P, paid_on="2023-03-10", categories=[cat])
    assert (r.benefit_start, r.waiting_days) == (dt.date(2023, 3, 11), 0)
    assert any(st.assumed for st in r.explanation if st.step == "benefit_start")


def test_clause_4_benefits_outpatient_300_500_inpatient_70_critical_16901() -> None:
    b = load_policy(P).model.benefits
    assert b.inpatient_fund_ratio == 70
    assert b.critical_illness and b.critical_illness.deductible
    assert b.critical_illness.deductible.effective_from == dt.date(2023, 1, 1)
    t1, t2 = q(P, paid_on=IN).benefit_limits, q(P, paid_on=IN, tier=2).benefit_limits
    assert (t1.outpatient_cap, t2.outpatient_cap) == (D(300), D(500))
    assert t1.critical_illness_deductible == D(16901)


def test_clause_8_3_half_monthly_bulletin() -> None:
    ms = {m.code: m for m in load_policy(P).model.milestones}
    assert ms["bulletin"].day_of_month == 15
    assert ms["final_deadline"].end == dt.date(2023, 9, 30)
    assert ms["fiscal_cutoff"].end == dt.date(2023, 6, 30)


def test_clause_3_2_payment_channels_and_16_year_photo_rule_kept_as_note() -> None:
    notes = {n.topic: n for n in load_policy(P).model.notes}
    assert "16岁以上居民需带一张1寸证件照片" in notes["缴费方式"].text
    assert notes["缴费方式"].cite == "三（二）"
