"""The ledger's quote cache must give exactly the engine's answer for every resident."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from urrbmi.campaign.campaigns import Pricer, birth_boundaries, profile
from urrbmi.errors import UrrbmiError
from urrbmi.money import to_fen
from urrbmi.policy import ResidentInput, load_policy, policy_ids, quote

POLICIES = {
    pid: load_policy(pid)
    for pid in policy_ids()
    if pid in {"changji-2023", "fengdu-shetan-2023", "taixing-2022", "suixi-2022", "qianjiang-2022"}
}
CATEGORIES = ["低保对象", "特困人员", "稳定脱贫人口", "低保边缘户", "孤儿"]


def row(born: dt.date, student: str | None, guardian: bool) -> SimpleNamespace:
    return SimpleNamespace(
        birth_date=born,
        student=student,
        residence="hukou",
        guardian_enrolled=guardian,
        employee_insurance_ended_on=None,
        employee_insurance_years=None,
        graduating=False,
        returning_migrant=False,
        last_insured=None,
    )


@settings(max_examples=300, deadline=None)
@given(
    pid=st.sampled_from(sorted(POLICIES)),
    born=st.dates(dt.date(1920, 1, 1), dt.date(2023, 12, 31)),
    student=st.sampled_from([None, "school", "college"]),
    cats=st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True),
    paid_offset=st.integers(-60, 400),
    guardian=st.booleans(),
)
def test_cached_price_equals_a_direct_quote(
    pid: str, born: dt.date, student: str | None, cats: list[str], paid_offset: int, guardian: bool
) -> None:
    policy = POLICIES[pid]
    paid_on = dt.date(policy.benefit_year - 1, 10, 1) + dt.timedelta(days=paid_offset)
    pricer = Pricer(policy)
    # warm the cache with a resident of the same interval but another birth date
    other = pricer.canonical_birth(born)
    pricer.price(profile(row(other, student, guardian), tuple(sorted(cats)), 1, paid_on))
    got = pricer.price(profile(row(born, student, guardian), tuple(sorted(cats)), 1, paid_on))
    data = {
        "birth_date": born,
        "categories": sorted(cats),
        "student": student,
        "paid_on": paid_on,
        "residence": "hukou",
        "guardian_enrolled": guardian,
    }
    try:
        q = quote(policy, ResidentInput.parse(data))
    except UrrbmiError as exc:
        assert got.error_code == exc.code
        return
    assert got.error_code is None
    assert (got.total_due_fen, got.subsidy_fen, got.individual_fen, got.fiscal_fen) == (
        to_fen(q.total_due),
        to_fen(q.subsidy),
        to_fen(q.individual_payment),
        to_fen(q.fiscal_portion_due),
    )
    assert (got.person_class, got.benefit_start, got.benefit_end, got.window) == (
        q.person_class,
        q.benefit_start,
        q.benefit_end,
        q.window,
    )
    assert got.explanation == tuple(s.as_dict() for s in q.explanation)


def test_boundaries_are_found_in_the_policies() -> None:
    assert dt.date(2005, 1, 1) in birth_boundaries(POLICIES["changji-2023"])
    pricer = Pricer(POLICIES["changji-2023"])
    assert pricer.canonical_birth(dt.date(1970, 5, 5)) == pricer.canonical_birth(dt.date(1930, 1, 2))
    assert pricer.canonical_birth(dt.date(2006, 1, 1)) == dt.date(2005, 1, 1)
    assert pricer.canonical_birth(dt.date(2022, 3, 4)) == dt.date(2022, 3, 4)  # near the benefit year: exact
