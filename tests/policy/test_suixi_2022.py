"""《濉溪县2022年度城乡居民基本医疗保险参保缴费工作实施方案》(Suixi 2022): every number, computed.
The annex table of task numbers is checked in tests/targets."""

from __future__ import annotations

import datetime as dt

import pytest
from quote_helpers import D, q

from urrbmi.errors import OutsideWindow, PolicyGap
from urrbmi.policy import load_policy
from urrbmi.policy import schema as s

P = "suixi-2022"
IN = "2021-11-01"


def test_documents() -> None:
    docs = load_policy(P).model.documents
    assert docs["ah"].number == "皖医保发〔2021〕7号"
    assert docs["hb"].number == "淮医保〔2021〕15号"


def test_clause_1_target_99_percent() -> None:
    t = load_policy(P).model.targets
    assert [r.rate for r in t.rates] == [D(99)]
    assert t.task_total is not None and t.task_total.amount == 1130260
    assert t.population_base is not None and t.population_base.as_of == dt.date(2020, 12, 31)


def test_clause_3_financing_900_is_fiscal_580_plus_individual_320() -> None:
    m = load_policy(P).model
    assert m.financing_total is not None
    assert isinstance(m.fiscal_subsidy, s.FiscalSubsidy) and m.fiscal_subsidy.amount == D(580)
    r = q(P, paid_on=IN)
    assert r.standard == D(320) == m.financing_total.individual
    assert m.fiscal_subsidy.amount + r.standard == m.financing_total.amount == D(900)


def test_clause_4_1_tekun_fully_subsidised_by_same_level_finance() -> None:
    r = q(P, paid_on=IN, categories=["特困人员"])
    assert (r.subsidy, r.individual_payment, r.subsidy_funder) == (D(320), D(0), "同级财政")


def test_clause_4_2_dibao_subsidy_280_pays_40() -> None:
    r = q(P, paid_on=IN, categories=["低保对象"])
    assert (r.subsidy, r.individual_payment) == (D(280), D(40))


def test_clause_4_3_relapsed_into_poverty_subsidy_250_pays_70() -> None:
    r = q(P, paid_on=IN, categories=["返贫致贫人口"])
    assert (r.subsidy, r.individual_payment) == (D(250), D(70))


@pytest.mark.parametrize("cat", ["脱贫不稳定户", "监测人口", "边缘易致贫户", "突发严重困难户"])
def test_clause_4_4_monitored_subsidy_160_pays_160(cat: str) -> None:
    r = q(P, paid_on=IN, categories=[cat])
    assert (r.subsidy, r.individual_payment) == (D(160), D(160))


def test_clause_4_4_stable_out_of_poverty_no_longer_subsidised() -> None:
    r = q(P, paid_on=IN, categories=["稳定脱贫人口"])
    assert (r.subsidy, r.individual_payment) == (D(0), D(320))
    assert any("不再享受资助参保政策" in st.rule for st in r.explanation)


@pytest.mark.parametrize("cat", ["重点优抚对象", "城乡低收入家庭重度残疾人", "计划生育特殊困难家庭成员"])
def test_clause_4_5_left_to_other_documents_is_a_named_gap(cat: str) -> None:
    with pytest.raises(PolicyGap) as exc:
        q(P, paid_on=IN, categories=[cat])
    assert "按有关文件规定执行" in exc.value.zh


def test_highest_identity_among_several() -> None:
    r = q(P, paid_on=IN, categories=["监测人口", "返贫致贫人口", "低保对象"])
    assert (r.subsidy, r.subsidy_category) == (D(280), "低保对象")


@pytest.mark.parametrize("paid", ["2021-10-01", "2021-12-31"])
def test_clause_5_window_october_to_december_benefits_from_2022_01_01(paid: str) -> None:
    r = q(P, paid_on=paid)
    assert (r.benefit_start, r.benefit_end, r.window) == (
        dt.date(2022, 1, 1),
        dt.date(2022, 12, 31),
        "centralized",
    )


def test_clause_5_before_october_is_outside() -> None:
    with pytest.raises(OutsideWindow):
        q(P, paid_on="2021-09-30")


def test_clause_5_returning_migrant_workers_until_2022_02_28_from_next_day() -> None:
    r = q(P, paid_on="2022-02-28", returning_migrant_worker=True)
    assert (r.benefit_start, r.window, r.total_due) == (dt.date(2022, 3, 1), "returning_migrant", D(320))
    with pytest.raises(PolicyGap):
        q(P, paid_on="2022-03-01", returning_migrant_worker=True)
    with pytest.raises(PolicyGap):
        q(P, paid_on="2022-01-10")  # not a returning migrant worker


def test_clause_5_newborn_within_90_days_from_birth_else_next_day() -> None:
    r = q(P, paid_on="2022-06-09", birth_date="2022-03-11")  # birth + 90 days
    assert (r.benefit_start, r.window) == (dt.date(2022, 3, 11), "newborn")
    r = q(P, paid_on="2022-06-10", birth_date="2022-03-11")
    assert (r.benefit_start, r.window) == (dt.date(2022, 6, 11), "newborn_late")


def test_clause_6_4_employee_insurance_2_years_gap_within_3_months_no_wait() -> None:
    ei = {"ended_on": "2022-01-31", "years": 2}
    r = q(P, paid_on="2022-04-30", employee_insurance=ei)
    assert (r.window, r.benefit_start, r.waiting_days) == ("employee_transfer", dt.date(2022, 5, 1), 0)
    assert any(st.assumed for st in r.explanation if st.step == "benefit_start")


def test_clause_6_4_gap_over_3_months_waits_6_months() -> None:
    ei = {"ended_on": "2022-01-31", "years": 5}
    r = q(P, paid_on="2022-05-02", employee_insurance=ei)
    assert (r.window, r.benefit_start) == ("employee_transfer_late", dt.date(2022, 11, 2))
    assert r.waiting_days == (dt.date(2022, 11, 2) - dt.date(2022, 5, 2)).days
    assert r.fiscal_portion_due == 0  # 六（四）: only the individual part is paid


def test_clause_6_4_under_2_years_within_3_months_has_no_rule() -> None:
    with pytest.raises(PolicyGap):
        q(P, paid_on="2022-03-01", employee_insurance={"ended_on": "2022-01-31", "years": 1.5})


@pytest.mark.parametrize("cat", ["退役军人", "退役军人未就业配偶"])
def test_clause_6_4_veterans_and_unemployed_spouses_no_wait(cat: str) -> None:
    r = q(P, paid_on="2022-05-02", categories=[cat])
    assert (r.window, r.benefit_start, r.waiting_days) == ("veteran", dt.date(2022, 5, 3), 0)


def test_clause_7_schedule() -> None:
    ms = {m.code: m for m in load_policy(P).model.milestones}
    assert ms["mobilization"].end == dt.date(2021, 10, 29)
    assert ms["department_lists"].end == dt.date(2021, 10, 29)
    assert (ms["centralized"].start, ms["centralized"].end) == (dt.date(2021, 10, 29), dt.date(2021, 12, 31))
    assert (ms["inspection"].start, ms["inspection"].end) == (dt.date(2021, 12, 10), dt.date(2021, 12, 31))
    assert ms["dynamic_additions"].end == dt.date(2021, 12, 31)
    assert ms["monthly_dynamic"].day_of_month == 10


def test_clause_6_3_september_rosters_by_october_29() -> None:
    ms = {m.code: m for m in load_policy(P).model.milestones}
    assert "9月份在册" in ms["department_lists"].label
