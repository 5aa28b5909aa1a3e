"""Campaigns and assessment: who owes what, checked against the engine itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from dbfixtures import ACTOR, add_people, give_identity, setup_regions
from sqlalchemy import Engine, func, select, update

from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.changes import record_external_enrollment
from urrbmi.db.models import Assessment, Campaign, Explanation, Resident
from urrbmi.db.session import session_scope
from urrbmi.errors import InvalidInput
from urrbmi.money import to_fen
from urrbmi.policy import ResidentInput, load_policy, quote
from urrbmi.registry.errors import Conflict, PolicyChanged
from urrbmi.registry.residents import update_resident

AS_OF = dt.date(2021, 12, 15)  # inside Qianjiang's centralized window


def _campaign(engine: Engine, policy: str = "qianjiang-2022", region: str = "500114") -> int:
    with session_scope(engine) as s:
        return create_campaign(s, policy, region, actor=ACTOR).id


def _assessments(engine: Engine, cid: int) -> dict[str, Assessment]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(Resident.id_number, Assessment)
            .join(Assessment, Assessment.resident_id == Resident.id)
            .where(Assessment.campaign_id == cid)
        ).all()
        return {n: a for n, a in rows}


def test_campaign_pins_policy_and_refuses_foreign_region_and_duplicates(engine: Engine) -> None:
    setup_regions(engine)
    cid = _campaign(engine)
    with session_scope(engine) as s:
        c = get_campaign(s)
        assert (c.id, c.benefit_year, c.policy_version) == (cid, 2022, load_policy("qianjiang-2022").version)
    with pytest.raises(InvalidInput), session_scope(engine) as s:
        create_campaign(s, "qianjiang-2022", "500230", actor=ACTOR)  # Fengdu is not Qianjiang
    with pytest.raises(Conflict), session_scope(engine) as s:
        create_campaign(s, "qianjiang-2022", "500114", actor=ACTOR)


def test_assessment_equals_the_engine_quote_and_excludes_who_must_not_pay(engine: Engine) -> None:
    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 6)
    village = add_people(engine, "500114001001", "500114", 1, start_year=1970)
    outsider = add_people(engine, "500230108", "500230", 1)  # Fengdu resident: not in this campaign
    give_identity(engine, people[0], "低保对象", dt.date(2021, 1, 1))
    give_identity(engine, people[1], "特困人员", dt.date(2022, 1, 1))  # not yet valid on AS_OF
    with session_scope(engine) as s:
        update_resident(s, people[2], {"employee_insured": True}, actor=ACTOR)
        update_resident(s, people[3], {"died_on": dt.date(2021, 11, 1)}, actor=ACTOR)
        record_external_enrollment(
            s, people[4], 2022, "500230", enrolled_on=dt.date(2021, 11, 1), actor=ACTOR
        )
    cid = _campaign(engine)
    with session_scope(engine) as s:
        summary = assess(s, get_campaign(s, cid), AS_OF, actor=ACTOR, chunk=3)  # several chunks
    assert summary.assessed == 7 and summary.due == 4
    assert dict(summary.excluded) == {"employee_insurance": 1, "deceased": 1, "enrolled_elsewhere": 1}
    got = _assessments(engine, cid)
    assert outsider[0] not in got and village[0] in got
    assert (got[people[2]].status, got[people[2]].reason) == ("excluded", "employee_insurance")
    assert (got[people[3]].reason, got[people[4]].reason) == ("deceased", "enrolled_elsewhere")
    policy = load_policy("qianjiang-2022")
    for number, cats in [(people[0], ["低保对象"]), (people[1], []), (people[5], []), (village[0], [])]:
        q = quote(policy, ResidentInput.parse({"id_number": number, "categories": cats, "paid_on": AS_OF}))
        a = got[number]
        assert a.status == "due" and a.total_due_fen == to_fen(q.total_due)
        assert (a.subsidy_fen, a.benefit_start, a.window) == (to_fen(q.subsidy), q.benefit_start, q.window)
        assert a.policy_version == policy.version
    assert got[people[0]].categories == "dibao" and (got[people[0]].subsidy_fen or 0) > 0
    with session_scope(engine) as s:  # explanations are stored once per distinct content
        n_expl = s.scalar(select(func.count()).select_from(Explanation))
        assert n_expl is not None and 1 <= n_expl < 4
        assert all(e.steps and "cite" in e.steps[0] for e in s.scalars(select(Explanation)))


def test_engine_refusals_are_stored_as_errors(engine: Engine) -> None:
    setup_regions(engine)
    add_people(engine, "652301001", "652301", 2)
    cid = _campaign(engine, "changji-2023", "652301")
    with session_scope(engine) as s:  # after Changji's window the notice is silent: a policy gap
        summary = assess(s, get_campaign(s, cid), dt.date(2023, 3, 1), actor=ACTOR)
    assert dict(summary.errors) == {"policy_gap": 2} and summary.due == 0
    a = next(iter(_assessments(engine, cid).values()))
    assert a.status == "error" and a.reason == "policy_gap" and a.message and "policy" in a.message


def test_reassessment_replaces_unpaid_rows_only(engine: Engine) -> None:
    from urrbmi.campaign.payments import record_payment
    from urrbmi.money import from_fen

    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 3)
    cid = _campaign(engine)
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        assess(s, c, AS_OF, actor=ACTOR)
    due = _assessments(engine, cid)[people[0]].total_due_fen
    assert due is not None
    with session_scope(engine) as s:
        record_payment(
            s,
            get_campaign(s, cid),
            id_number=people[0],
            amount=from_fen(due),
            channel="cash",
            external_ref="R1",
            paid_on=AS_OF,
            actor=ACTOR,
            may_backdate=True,
        )
    with session_scope(engine) as s:
        summary = assess(s, get_campaign(s, cid), dt.date(2022, 4, 1), actor=ACTOR)
    assert summary.assessed == 2
    got = _assessments(engine, cid)
    assert got[people[0]].as_of == AS_OF and got[people[1]].as_of == dt.date(2022, 4, 1)
    assert got[people[1]].window == "late_waiting"


def test_a_changed_policy_file_stops_the_campaign(engine: Engine) -> None:
    setup_regions(engine)
    cid = _campaign(engine)
    with session_scope(engine) as s:
        s.execute(update(Campaign).where(Campaign.id == cid).values(policy_version="000000000000"))
    with pytest.raises(PolicyChanged), session_scope(engine) as s:
        assess(s, get_campaign(s, cid), AS_OF, actor=ACTOR)


def _rewritten(engine: Engine, cid: int, run: Callable[[], object]) -> set[int]:
    """The residents whose assessment row ``run`` wrote: on PostgreSQL the rows whose xmin (the
    writing transaction) changed, on SQLite those an AFTER UPDATE trigger saw."""
    sql = f"SELECT resident_id, xmin::text FROM assessments WHERE campaign_id = {int(cid)}"
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            before: dict[int, str] = dict(conn.exec_driver_sql(sql).all())
        run()
        with engine.connect() as conn:
            return {r for r, x in conn.exec_driver_sql(sql).all() if before.get(r) != x}
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE seen (resident_id INTEGER)")
        conn.exec_driver_sql(
            "CREATE TRIGGER seen_update AFTER UPDATE ON assessments "
            "BEGIN INSERT INTO seen VALUES (new.resident_id); END"
        )
    run()
    with engine.begin() as conn:
        return {r for (r,) in conn.exec_driver_sql("SELECT resident_id FROM seen").all()}


def test_a_reassessment_with_nothing_changed_writes_no_row(engine: Engine) -> None:
    """Issue 19, item 2: re-assessing identical rows leaves them untouched (an upsert that
    changes nothing is skipped), and a changed resident is still rewritten."""
    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 4)
    cid = _campaign(engine)
    with session_scope(engine) as s:
        assess(s, get_campaign(s, cid), AS_OF, actor=ACTOR)
    give_identity(engine, people[0], "低保对象", dt.date(2021, 1, 1))

    def again() -> None:
        with session_scope(engine) as s:
            assert assess(s, get_campaign(s, cid), AS_OF, actor=ACTOR).assessed == 4

    written = _rewritten(engine, cid, again)
    with session_scope(engine) as s:
        changed = s.scalar(select(Resident.id).where(Resident.id_number == people[0]))
    assert written == {changed}
