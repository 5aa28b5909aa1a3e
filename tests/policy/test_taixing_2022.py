"""泰兴市2022年城乡居民基本医疗保险筹资工作安排 (Taixing 2022): every number, computed."""

from __future__ import annotations

import datetime as dt

import pytest
from quote_helpers import D, q

from urrbmi.errors import InvalidInput, OutsideWindow, PolicyGap
from urrbmi.policy import load_policy
from urrbmi.policy import schema as s

P = "taixing-2022"
IN = "2021-11-01"


def test_issued_2021_08_24_citing_tai_yibao_fa_2021_56() -> None:
    docs = load_policy(P).model.documents
    assert docs["main"].issued_on == dt.date(2021, 8, 24)
    assert docs["tz"].number == "泰医保发〔2021〕56号"


def test_clause_2_targets_98_5_per_town_100_per_school_100_coverage() -> None:
    rates = {(r.group, r.unit): r.rate for r in load_policy(P).model.targets.rates}
    assert rates == {
        ("general", "town"): D("98.5"),
        ("students", "school"): D(100),
        ("all", "county"): D(100),
    }


def test_clause_3_1_general_resident_420() -> None:
    r = q(P, paid_on=IN, birth_date="1970-01-01")
    assert (r.person_class, r.standard, r.total_due) == ("adult", D(420), D(420))


@pytest.mark.parametrize(
    ("born", "klass", "standard"),
    [("2004-01-01", "minor", 200), ("2003-12-31", "adult", 420), ("2021-06-01", "minor", 200)],
)
def test_clause_3_2_minors_born_on_or_after_2004_01_01_pay_200(born: str, klass: str, standard: int) -> None:
    r = q(P, paid_on=IN, birth_date=born)
    assert (r.person_class, r.standard) == (klass, D(standard))


@pytest.mark.parametrize("student", ["school", "college"])
def test_clause_3_2_students_pay_200_whatever_their_age(student: str) -> None:
    r = q(P, paid_on=IN, birth_date="2000-01-01", student=student)
    assert (r.person_class, r.standard) == ("student", D(200))


@pytest.mark.parametrize(
    "cat",
    [
        "最低生活保障家庭成员",
        "特困供养人员",
        "20世纪60年代精减退职职工",
        "特殊困难残疾人",
        "困境儿童",
        "孤儿",
        "事实无人抚养儿童",
        "一二级残疾儿童",
        "重点优抚对象",
        "特困职工",
        "重残学生",
        "建档立卡低收入人口",
        "重度精神病患者",
        "麻风病患者",
        "新中国成立前老党员",
    ],
)
def test_clause_3_3_city_finance_pays_for_listed_groups(cat: str) -> None:
    adult = q(P, paid_on=IN, birth_date="1950-01-01", categories=[cat])
    minor = q(P, paid_on=IN, birth_date="2010-01-01", categories=[cat])
    assert (adult.subsidy, adult.individual_payment) == (D(420), D(0))
    assert (minor.subsidy, minor.individual_payment) == (D(200), D(0))
    assert adult.subsidy_funder == "市财政"
    assert any(st.assumed for st in adult.explanation if st.step == "subsidy_candidate")


def test_clause_3_3_groups_not_listed_get_nothing() -> None:
    r = q(P, paid_on=IN, birth_date="1950-01-01", categories=["稳定脱贫人口"])
    assert r.subsidy == 0 and r.total_due == D(420)


def test_clause_4_2_student_window_opens_2021_09_01() -> None:
    r = q(P, paid_on="2021-09-01", birth_date="2010-01-01", student="school")
    assert (r.window, r.benefit_start) == ("students", dt.date(2022, 1, 1))
    with pytest.raises(OutsideWindow):
        q(P, paid_on="2021-08-31", birth_date="2010-01-01", student="school")


def test_clause_4_2_general_window_2021_10_01_to_12_31() -> None:
    with pytest.raises(PolicyGap):  # only students may pay in September
        q(P, paid_on="2021-09-30", birth_date="1970-01-01")
    for paid in ("2021-10-01", "2021-12-31"):
        r = q(P, paid_on=paid, birth_date="1970-01-01")
        assert (r.benefit_start, r.benefit_end) == (dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    with pytest.raises(PolicyGap):
        q(P, paid_on="2022-01-01", birth_date="1970-01-01")


def test_benefit_period_is_a_documented_choice() -> None:
    r = q(P, paid_on=IN, birth_date="1970-01-01")
    assert any(st.assumed for st in r.explanation if st.step == "benefit_period")


def test_clause_1_residence_and_students_regardless_of_hukou() -> None:
    with pytest.raises(InvalidInput):
        q(P, paid_on=IN, birth_date="1970-01-01", residence="none")
    r = q(P, paid_on=IN, birth_date="2008-01-01", residence="none", student="school")
    assert r.total_due == D(200)


def test_fiscal_subsidy_not_stated_is_a_gap() -> None:
    assert isinstance(load_policy(P).model.fiscal_subsidy, s.Gap)
