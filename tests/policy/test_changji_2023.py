"""昌州医保发〔2022〕12号 (Changji 2023): every number of the notice, computed by the engine."""

from __future__ import annotations

import datetime as dt

import pytest
from quote_helpers import D, q

from urrbmi import ids
from urrbmi.errors import InvalidInput, OutsideWindow, PolicyGap
from urrbmi.policy import load_policy
from urrbmi.policy import schema as s

P = "changji-2023"
IN_WINDOW = "2022-11-15"
ADULT = "1980-05-01"
MINOR = "2010-05-01"


def test_documents_cited() -> None:
    p = load_policy(P)
    assert p.model.documents["main"].number == "昌州医保发〔2022〕12号"
    assert p.model.documents["main"].issued_on == dt.date(2022, 10, 30)
    assert p.model.documents["xj"].number == "新医保发〔2022〕34号"
    assert p.cite("三（二）") == "昌州医保发〔2022〕12号 三（二）"


def test_clause_2_fiscal_subsidy_660_split_488_73_2_98_8() -> None:
    fs = load_policy(P).model.fiscal_subsidy
    assert isinstance(fs, s.FiscalSubsidy)
    assert fs.amount == D(660) and fs.increase == D(30) and fs.year_label == 2022
    shares = {x.level: x.amount for x in fs.split}
    assert shares == {"central": D(488), "regional": D("73.2"), "county": D("98.8")}
    assert sum(shares.values()) == fs.amount


def test_clause_2_county_funds_paid_by_end_of_december_2022() -> None:
    ms = {m.code: m for m in load_policy(P).model.milestones}
    assert ms["county_funds_paid"].end == dt.date(2022, 12, 31)


def test_clause_3_average_individual_380_up_20() -> None:
    avg = load_policy(P).model.individual_average
    assert avg is not None and avg.amount == D(380) and avg.increase == D(20)


@pytest.mark.parametrize(
    ("fields", "klass", "standard"),
    [
        ({"birth_date": ADULT}, "adult", 410),
        ({"birth_date": MINOR}, "minor", 310),
        ({"birth_date": ADULT, "student": "college"}, "student", 310),
        ({"birth_date": MINOR, "student": "school"}, "student", 310),
    ],
)
def test_clause_3_standards_adult_410_minor_and_students_310(
    fields: dict[str, str], klass: str, standard: int
) -> None:
    r = q(P, paid_on=IN_WINDOW, **fields)
    assert (r.person_class, r.standard, r.individual_payment) == (klass, D(standard), D(standard))
    assert r.subsidy == 0 and r.subsidy_category is None


def test_clause_3_minor_cutoff_is_a_documented_choice() -> None:
    assert q(P, paid_on=IN_WINDOW, birth_date="2005-01-01").person_class == "minor"
    r = q(P, paid_on=IN_WINDOW, birth_date="2004-12-31")
    assert r.person_class == "adult"
    assert any(st.assumed for st in r.explanation if st.step == "person_class")


@pytest.mark.parametrize("category", ["特困人员", "城乡特困救助供养对象", "孤儿"])
@pytest.mark.parametrize("born", [ADULT, MINOR])
def test_clause_3_1_tekun_and_orphans_fully_subsidised(category: str, born: str) -> None:
    r = q(P, paid_on=IN_WINDOW, birth_date=born, categories=[category])
    assert r.individual_payment == 0 and r.subsidy == r.standard
    assert r.subsidy_funder == "医疗救助资金"


@pytest.mark.parametrize(
    "category", ["低保对象", "城乡最低生活保障家庭成员", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户"]
)
def test_clause_3_2_dibao_and_monitored_adult_pays_40_subsidy_370(category: str) -> None:
    r = q(P, paid_on=IN_WINDOW, birth_date=ADULT, categories=[category])
    assert (r.individual_payment, r.subsidy) == (D(40), D(370))


@pytest.mark.parametrize("fields", [{"birth_date": MINOR}, {"birth_date": ADULT, "student": "college"}])
def test_clause_3_2_dibao_minor_or_student_pays_30_subsidy_280(fields: dict[str, str]) -> None:
    r = q(P, paid_on=IN_WINDOW, categories=["低保对象"], **fields)
    assert (r.individual_payment, r.subsidy) == (D(30), D(280))


def test_clause_3_3_stable_out_of_poverty_adult_90_subsidy_320_minor_70_subsidy_240() -> None:
    adult = q(P, paid_on=IN_WINDOW, birth_date=ADULT, categories=["稳定脱贫人口"])
    minor = q(P, paid_on=IN_WINDOW, birth_date=MINOR, categories=["稳定脱贫人口"])
    assert (adult.individual_payment, adult.subsidy) == (D(90), D(320))
    assert (minor.individual_payment, minor.subsidy) == (D(70), D(240))


def test_clause_3_highest_identity_wins_never_summed() -> None:
    r = q(P, paid_on=IN_WINDOW, birth_date=ADULT, categories=["稳定脱贫人口", "低保对象"])
    assert (r.subsidy, r.subsidy_category) == (D(370), "低保对象")
    r = q(P, paid_on=IN_WINDOW, birth_date=ADULT, categories=["低保对象", "特困人员"])
    assert r.individual_payment == 0


def test_clause_3_retroactive_subsidy_for_later_identities() -> None:
    assert load_policy(P).identity_change == "retro_subsidy"


def test_known_category_not_subsidised_says_so() -> None:
    r = q(P, paid_on=IN_WINDOW, birth_date=ADULT, categories=["低保边缘户"])
    assert r.subsidy == 0
    assert any("未对“低保边缘户”规定参保资助" in st.rule for st in r.explanation)


@pytest.mark.parametrize("paid", ["2022-10-01", "2022-12-31", "2023-01-01", "2023-01-31"])
def test_clause_3_window_2022_10_01_to_2023_01_31_benefits_2023(paid: str) -> None:
    r = q(P, paid_on=paid, birth_date=ADULT)
    assert (r.benefit_start, r.benefit_end) == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    assert r.waiting_days == 0 and r.fiscal_portion_due == 0 and r.total_due == D(410)


def test_clause_3_day_before_window_is_outside() -> None:
    with pytest.raises(OutsideWindow):
        q(P, paid_on="2022-09-30", birth_date=ADULT)


def test_no_late_payment_rule_is_a_named_gap() -> None:
    with pytest.raises(PolicyGap) as exc:
        q(P, paid_on="2023-02-01", birth_date=ADULT)
    assert "集中参保缴费期（2023年1月31日）后" in exc.value.zh


def test_clause_4_outpatient_400_was_300_inpatient_100000_was_80000() -> None:
    b = load_policy(P).model.benefits
    assert isinstance(b.outpatient_cap, s.Limit) and isinstance(b.inpatient_cap, s.Limit)
    assert (b.outpatient_cap.amount, b.outpatient_cap.previous) == (D(400), D(300))
    assert (b.inpatient_cap.amount, b.inpatient_cap.previous) == (D(100000), D(80000))
    lim = q(P, paid_on=IN_WINDOW, birth_date=ADULT).benefit_limits
    assert (lim.outpatient_cap, lim.inpatient_cap) == (D(400), D(100000))


def test_clause_5_critical_illness_145_per_capita_deductible_13700_reduced_6850() -> None:
    ci = load_policy(P).model.benefits.critical_illness
    assert ci is not None and ci.funding_per_capita is not None
    assert ci.funding_per_capita.amount == D(145) and ci.funding_year_label == 2022
    plain = q(P, paid_on=IN_WINDOW, birth_date=ADULT)
    assert plain.benefit_limits.critical_illness_deductible == D(13700)
    for cat in ("特困人员", "低保对象", "孤儿"):
        r = q(P, paid_on=IN_WINDOW, birth_date=ADULT, categories=[cat])
        assert r.benefit_limits.critical_illness_deductible == D(6850)
    r = q(P, paid_on=IN_WINDOW, birth_date=ADULT, categories=["稳定脱贫人口"])
    assert r.benefit_limits.critical_illness_deductible == D(13700)


def test_clause_7_staged_deadlines_2022_11_30_and_2023_01_31() -> None:
    sd = load_policy(P).model.targets.staged_deadlines
    assert [d.by for d in sd] == [dt.date(2022, 11, 30), dt.date(2023, 1, 31)]
    assert "稳定脱贫人口" in sd[0].categories and sd[1].categories == ()


def test_clause_1_residence_permit_holders_covered_others_not() -> None:
    assert q(P, paid_on=IN_WINDOW, birth_date=ADULT, residence="permit").total_due == D(410)
    with pytest.raises(InvalidInput):
        q(P, paid_on=IN_WINDOW, birth_date=ADULT, residence="none")
    r = q(P, paid_on=IN_WINDOW, birth_date=ADULT, residence="none", student="college")
    assert r.person_class == "student"


def test_birth_date_from_id_number() -> None:
    idn = ids.make("652301", dt.date(2012, 3, 4), 11)
    assert q(P, paid_on=IN_WINDOW, id_number=idn).person_class == "minor"
    with pytest.raises(InvalidInput):
        q(P, paid_on=IN_WINDOW, id_number=idn, birth_date="2012-03-05")
