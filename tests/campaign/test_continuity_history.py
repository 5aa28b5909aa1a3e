"""The national rule from 2025 (国办发〔2024〕38号 三（二）) computed from each resident's
enrollment history in the registry: a campaign under a national-2025-style policy reads the
benefit years each resident was enrolled in resident insurance (ours, imported from last
year's list, reported from elsewhere; not employee insurance, not cancelled) and applies the
wait. SQLite and PostgreSQL (the ``engine`` fixture)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dbfixtures import ACTOR, add_people, setup_regions
from sqlalchemy import Engine, select

from urrbmi.campaign import ledger
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.payments import record_payment
from urrbmi.db.models import Assessment, BenefitPeriod, Enrollment, EnrollmentSource, Resident
from urrbmi.db.session import session_scope
from urrbmi.money import from_fen

NATIONAL = Path(__file__).parents[1] / "policy" / "fixtures" / "national-2025.yaml"
AS_OF = dt.date(2024, 10, 15)  # in the centralized window (五（一）)


def _history(engine: Engine, number: str, years: list[int], *, insurance_type: str = "390") -> None:
    with session_scope(engine) as s:
        rid = s.scalar(select(Resident.id).where(Resident.id_number == number))
        assert rid is not None
        ledger.enroll(
            s,
            [
                ledger.NewEnrollment(
                    None, rid, y, "500114", dt.date(y - 1, 11, 1), insurance_type=insurance_type
                )
                for y in years
            ],
            source=EnrollmentSource.IMPORT,
            actor=ACTOR,
            audit_key=None,
        )


@pytest.fixture
def world(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, list[str], int]:
    (tmp_path / NATIONAL.name).write_text(NATIONAL.read_text("utf-8"), "utf-8")
    monkeypatch.setenv("URRBMI_POLICY_PATH", str(tmp_path))
    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 6)
    _history(engine, people[0], [2023, 2024])  # continuous
    _history(engine, people[1], [2021, 2022, 2023])  # lapsed 2024: one year
    _history(engine, people[2], [2020])  # lapsed 2021-2024: four years
    # people[3]: never enrolled (a first enrollment in the window waits nothing)
    _history(engine, people[4], [2023])
    _history(engine, people[4], [2024], insurance_type="310")  # employee insurance: not counted
    _history(engine, people[5], [2022])
    with session_scope(engine) as s:  # a cancelled enrollment is no insurance
        rid = s.scalar(select(Resident.id).where(Resident.id_number == people[5]))
        s.add(
            Enrollment(
                resident_id=rid,
                benefit_year=2024,
                region_code="500114",
                status="cancelled",
                source="import",
                enrolled_on=dt.date(2023, 11, 1),
            )
        )
    with session_scope(engine) as s:
        c = create_campaign(s, "national-2025", "500114", actor=ACTOR)
        cid = c.id
    return engine, people, cid


def _assessed(engine: Engine, cid: int) -> dict[str, Assessment]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(Resident.id_number, Assessment).join(Assessment, Assessment.resident_id == Resident.id)
        ).all()
        s.expunge_all()
        return {n: a for n, a in rows if a.campaign_id == cid}


def test_national_3_2_campaign_applies_the_wait_from_each_residents_enrollment_history(
    world: tuple[Engine, list[str], int],
) -> None:
    engine, people, cid = world
    with session_scope(engine) as s:
        assess(s, get_campaign(s, cid), AS_OF, actor=ACTOR)
    got = _assessed(engine, cid)
    start = {n: got[n].benefit_start for n in people}
    assert start[people[0]] == dt.date(2025, 1, 1)  # continuous: from the period start
    assert start[people[1]] == dt.date(2025, 1, 15)  # lapsed 1 year: fixed 3 months from payment
    assert start[people[2]] == dt.date(2025, 4, 15)  # lapsed 4 years: 3 + 3 months
    assert start[people[3]] == dt.date(2025, 1, 1)  # first enrollment in the window
    assert start[people[4]] == dt.date(2025, 1, 15)  # 2024 was employee insurance: lapsed 1 year
    assert start[people[5]] == dt.date(2025, 2, 15)  # 2024 cancelled: lapsed 2 years, 3 + 1 months
    assert {got[n].window for n in people} == {"centralized"}


def test_national_3_2_a_payment_enrolls_with_the_wait_from_the_history(
    world: tuple[Engine, list[str], int],
) -> None:
    engine, people, cid = world
    with session_scope(engine) as s:
        assess(s, get_campaign(s, cid), AS_OF, actor=ACTOR)
    due = _assessed(engine, cid)[people[2]].total_due_fen
    assert due is not None
    with session_scope(engine) as s:
        record_payment(
            s,
            get_campaign(s, cid),
            id_number=people[2],
            amount=from_fen(due),
            channel="cash",
            external_ref="N1",
            paid_on=dt.date(2024, 11, 20),
            actor=ACTOR,
            may_backdate=True,
        )
    with session_scope(engine) as s:
        period = s.execute(
            select(BenefitPeriod.start_on)
            .join(Resident, Resident.id == BenefitPeriod.resident_id)
            .where(Resident.id_number == people[2])
        ).scalar_one()
    assert period == dt.date(2025, 5, 20)  # lapsed 4 years: 6 months from the payment
