"""Guards on money (issue 14, item 5): one campaign per region and benefit year along the region
tree, one live enrollment per resident and benefit year across campaigns (a database constraint),
counter payments refused on a wrong amount or a date out of range — on SQLite and PostgreSQL, and
under concurrency on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from typing import cast

import pytest
from dbfixtures import ACTOR, add_people, add_people_at_old_revision, give_identity, setup_regions
from sqlalchemy import Engine, Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from urrbmi.campaign.assess import assess, sync_subsidised
from urrbmi.campaign.campaigns import create_campaign, get_campaign, overlapping_campaign
from urrbmi.campaign.payments import accept_payment, apply_payments, read_lines, record_payment
from urrbmi.campaign.tiers import configure
from urrbmi.db.constraints import translate
from urrbmi.db.models import AuditLog, Campaign, Enrollment, Payment, Receipt
from urrbmi.db.session import DatabaseError, get_engine, session_scope, upgrade
from urrbmi.policy import ResidentInput, load_policy, quote
from urrbmi.registry.errors import (
    AlreadyEnrolled,
    BackdateNotAllowed,
    CampaignOverlap,
    PaidInFuture,
)
from urrbmi.registry.regions import add_region, get_region
from urrbmi.registry.residents import update_resident

AS_OF = dt.date(2021, 12, 15)
QJ = load_policy("qianjiang-2022")
TOWN_A, TOWN_B = "500114001", "500114002"


def due(number: str, paid_on: dt.date = AS_OF, cats: tuple[str, ...] = ()) -> Decimal:
    return quote(
        QJ, ResidentInput.parse({"id_number": number, "categories": cats, "paid_on": paid_on})
    ).total_due


def two_towns(engine: Engine) -> None:
    setup_regions(engine)
    with session_scope(engine) as s:
        add_region(s, TOWN_B, "城东街道", "town", "500114", actor=ACTOR)


def campaign(engine: Engine, region: str, *, enroll_subsidised: bool = True) -> int:
    with session_scope(engine) as s:
        c = create_campaign(s, "qianjiang-2022", region, actor=ACTOR)
        if not enroll_subsidised:
            configure(s, c, enroll_subsidised=False, actor=ACTOR)
        return c.id


def assess_now(engine: Engine, cid: int) -> None:
    with session_scope(engine) as s:
        assess(s, get_campaign(s, cid), AS_OF, actor=ACTOR)


def move(engine: Engine, number: str, region: str) -> None:
    with session_scope(engine) as s:
        update_resident(s, number, {"region_code": region}, actor=ACTOR)


def live(engine: Engine, number: str | None = None) -> list[tuple[int | None, str]]:
    """(campaign, source) of the live enrollments, in order."""
    with session_scope(engine) as s:
        return [(c, src) for c, src in s.execute(
            select(Enrollment.campaign_id, Enrollment.source)
            .where(Enrollment.status == "enrolled").order_by(Enrollment.id)
        )]  # fmt: skip


def due_in_both(engine: Engine) -> tuple[int, int, str]:
    """A resident assessed in town A's campaign, who then moved to town B and was assessed there
    too, before paying anywhere: due in both campaigns of the year."""
    two_towns(engine)
    (number,) = add_people(engine, TOWN_A, "500114", 1)
    a = campaign(engine, TOWN_A)
    assess_now(engine, a)
    move(engine, number, TOWN_B)
    b = campaign(engine, TOWN_B)
    assess_now(engine, b)
    return a, b, number


# --- one campaign per region and benefit year ---------------------------------------------


@pytest.mark.parametrize(("first", "second"), [("500114", TOWN_A), (TOWN_A, "500114"), (TOWN_A, TOWN_A)])
def test_a_campaign_over_part_of_another_of_the_same_year_is_refused(
    engine: Engine, first: str, second: str
) -> None:
    two_towns(engine)
    cid = campaign(engine, first)
    with pytest.raises(CampaignOverlap) as err, session_scope(engine) as s:
        create_campaign(s, "qianjiang-2022", second, actor=ACTOR)
    shown = {"500114": "黔江区", TOWN_A: "城西街道"}
    assert err.value.code == "campaign_overlap"
    assert f"征缴批次{cid}（{shown[first]}，{first}）" in err.value.zh and "2022年度" in err.value.zh
    assert f"campaign {cid} ({shown[first]}, {first})" in err.value.en
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Campaign)) == 1


def test_campaigns_of_sibling_towns_may_coexist(engine: Engine) -> None:
    two_towns(engine)
    campaign(engine, TOWN_A)
    campaign(engine, TOWN_B)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Campaign)) == 2
        # the county now overlaps both; another benefit year overlaps neither
        found = overlapping_campaign(s, get_region(s, "500114"), 2022)
        assert found is not None and found[1].code == TOWN_A
        assert overlapping_campaign(s, get_region(s, "500114"), 2023) is None


@pytest.mark.postgres
def test_concurrent_overlapping_campaigns_one_wins(pg_engine: Engine) -> None:
    """The second creation starts while the first is uncommitted: it waits for the first's lock
    and then sees its campaign (without the lock it saw nothing and both were created)."""
    engine = pg_engine
    two_towns(engine)
    first_in = threading.Event()
    outcome: dict[str, str] = {}

    def officer(name: str, region: str) -> None:
        try:
            with session_scope(engine) as s:
                if name == "town":
                    first_in.wait(5)
                create_campaign(s, "qianjiang-2022", region, actor=name)
                if name == "county":
                    first_in.set()
                    time.sleep(0.5)  # hold the transaction open while the town officer creates
            outcome[name] = "created"
        except CampaignOverlap:
            outcome[name] = "refused"
        except BaseException as exc:
            outcome[name] = repr(exc)

    threads = [threading.Thread(target=officer, args=a) for a in (("county", "500114"), ("town", TOWN_A))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert outcome == {"county": "created", "town": "refused"}
    with session_scope(engine) as s:
        assert s.scalars(select(Campaign.region_code)).all() == ["500114"]


@pytest.mark.postgres
def test_many_concurrent_creations_one_campaign(pg_engine: Engine) -> None:
    engine = pg_engine
    two_towns(engine)
    regions = ["500114", TOWN_A, TOWN_A, "500114", TOWN_A, "500114"]
    barrier = threading.Barrier(len(regions))
    outcome: list[str] = []

    def officer(region: str) -> None:
        try:
            barrier.wait(5)
            with session_scope(engine) as s:
                create_campaign(s, "qianjiang-2022", region, actor="o")
            outcome.append("created")
        except CampaignOverlap:
            outcome.append("refused")
        except BaseException as exc:
            outcome.append(repr(exc))

    threads = [threading.Thread(target=officer, args=(r,)) for r in regions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcome) == ["created"] + ["refused"] * 5
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Campaign)) == 1


# --- one live enrollment per resident and benefit year ------------------------------------


def _enrollment(cid: int | None, rid: int, year: int = 2022, source: str = "payment") -> dict[str, object]:
    return {"campaign_id": cid, "resident_id": rid, "benefit_year": year, "region_code": TOWN_A,
            "insurance_type": "390", "status": "enrolled", "source": source, "enrolled_on": AS_OF}  # fmt: skip


def test_the_database_holds_one_enrollment_per_resident_and_year(engine: Engine) -> None:
    two_towns(engine)
    add_people(engine, TOWN_A, "500114", 1)
    a, b = campaign(engine, TOWN_A), campaign(engine, TOWN_B)
    with session_scope(engine) as s:
        rid = s.scalar(text("SELECT id FROM residents"))
        s.execute(insert(Enrollment), [
            _enrollment(a, rid),
            _enrollment(None, rid, 2021, "import"),  # last year's, from the old system
            _enrollment(None, rid, 2022, "import"),  # an import naming this year: not ours
            _enrollment(None, rid, 2022, "external"),  # reported by another region: the duplicates report
        ])  # fmt: skip
    with pytest.raises(IntegrityError) as err, session_scope(engine) as s:
        s.execute(insert(Enrollment), [_enrollment(b, rid)])
    translated = translate(err.value)
    assert isinstance(translated, AlreadyEnrolled) and translated.code == "already_enrolled"
    assert "只能参保一次" in translated.zh and "one enrollment per resident and year" in translated.en
    with session_scope(engine) as s:  # a cancelled enrollment does not count
        s.execute(text("UPDATE enrollments SET status = 'cancelled' WHERE campaign_id = :a"), {"a": a})
        s.execute(insert(Enrollment), [_enrollment(b, rid), _enrollment(a, rid, 2023)])
    assert live(engine) == [(None, "import"), (None, "import"), (None, "external"), (b, "payment"),
                            (a, "payment")]  # fmt: skip


def test_a_channel_file_holds_a_payment_for_someone_enrolled_by_another_campaign(engine: Engine) -> None:
    a, b, number = due_in_both(engine)
    day = AS_OF.isoformat()
    with session_scope(engine) as s:
        first = apply_payments(
            s,
            get_campaign(s, a),
            "bank",
            read_lines(
                [{"external_ref": "A-1", "id_number": number, "amount": str(due(number)), "paid_on": day}]
            ),
            actor=ACTOR,
        )
        second = apply_payments(
            s,
            get_campaign(s, b),
            "wechat",
            read_lines(
                [{"external_ref": "B-1", "id_number": number, "amount": str(due(number)), "paid_on": day}]
            ),
            actor=ACTOR,
        )
    assert dict(first.status) == {"accepted": 1}
    assert dict(second.status) == {"held": 1} and dict(second.held) == {"already_paid": 1}
    assert live(engine) == [(a, "payment")]
    # and the held payment cannot be accepted by town B's reviewer: one enrollment per year
    with session_scope(engine) as s:
        pid = s.scalars(select(Payment.id).where(Payment.external_ref == "B-1")).one()
        with pytest.raises(AlreadyEnrolled) as err:
            accept_payment(s, get_campaign(s, b), payment_id=pid, reason="复核", actor=ACTOR)
    assert f"征缴批次{a}" in err.value.zh and number not in str(err.value)
    assert live(engine) == [(a, "payment")]


def test_subsidy_enrollment_skips_someone_enrolled_by_another_campaign(engine: Engine) -> None:
    """Both campaigns assessed a fully subsidised 特困 resident (free) before either enrolled them;
    the second to enroll leaves them alone instead of a second enrollment."""
    two_towns(engine)
    (number,) = add_people(engine, TOWN_A, "500114", 1)
    give_identity(engine, number, "特困人员", dt.date(2021, 1, 1))
    a = campaign(engine, TOWN_A, enroll_subsidised=False)
    assess_now(engine, a)
    move(engine, number, TOWN_B)
    b = campaign(engine, TOWN_B, enroll_subsidised=False)
    assess_now(engine, b)
    with session_scope(engine) as s:
        for cid in (a, b):
            c = get_campaign(s, cid)
            configure(s, c, enroll_subsidised=True, actor=ACTOR)
            sync_subsidised(s, c, AS_OF, actor=ACTOR)
    assert live(engine) == [(a, "subsidy")]


def test_the_migration_stops_on_existing_double_enrollments(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/old.sqlite"
    upgrade(url, "0010")
    engine = get_engine(url)
    setup_regions(engine)
    add_people_at_old_revision(engine, TOWN_A, "500114", 1)
    with engine.begin() as conn:
        for cid, region in ((1, "500114"), (2, TOWN_A)):  # the two campaigns
            conn.execute(
                text(
                    "INSERT INTO campaigns (id, region_code, benefit_year, policy_id, policy_version, created_at) "
                    "VALUES (:id, :r, 2022, 'qianjiang-2022', 'x', '2021-09-01')"
                ),
                {"id": cid, "r": region},
            )
        rid = conn.scalar(text("SELECT id FROM residents"))
        conn.execute(insert(cast(Table, Enrollment.__table__)), [_enrollment(1, rid), _enrollment(2, rid)])  # fmt: skip
    with pytest.raises(DatabaseError) as err:
        upgrade(url)
    assert err.value.code == "duplicate_enrollments" and "1名居民" in err.value.zh
    with engine.begin() as conn:
        conn.execute(text("UPDATE enrollments SET status = 'cancelled' WHERE campaign_id = 2"))
    assert upgrade(url) is not None
    engine.dispose()


@pytest.mark.postgres
def test_concurrent_counter_payments_in_two_campaigns_enroll_once(pg_engine: Engine) -> None:
    """Two agents take one resident's money at once in two towns' campaigns: the second's enrollment
    waits on the first's uncommitted row in the unique index, fails when it commits, and the payment
    is re-run and held as already paid (before the constraint: enrolled twice, two receipts)."""
    engine = pg_engine
    a, b, number = due_in_both(engine)
    first_in = threading.Event()
    results: dict[str, tuple[str, str | None]] = {}
    errors: list[BaseException] = []

    def agent(name: str, cid: int) -> None:
        try:
            with session_scope(engine) as s:
                if name == "second":
                    first_in.wait(5)
                r = record_payment(
                    s,
                    get_campaign(s, cid),
                    id_number=number,
                    amount=due(number),
                    channel="cash",
                    external_ref=f"{name}-1",
                    paid_on=AS_OF,
                    actor=name,
                    may_backdate=True,
                )
                results[name] = (r.payment.status, r.payment.hold_reason)
                if name == "first":
                    first_in.set()
                    time.sleep(0.5)  # keep the enrollment uncommitted while the second agent records
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=agent, args=x) for x in (("first", a), ("second", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors
    assert results == {"first": ("accepted", None), "second": ("held", "already_paid")}
    assert live(engine) == [(a, "payment")]
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Receipt)) == 1


# --- counter payments: the day ------------------------------------------------------------


def test_paid_on_is_checked_in_china_time_and_backdating_needs_an_officer(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urrbmi import clock

    two_towns(engine)
    people = add_people(engine, TOWN_A, "500114", 3)
    cid = campaign(engine, TOWN_A)
    assess_now(engine, cid)
    # 2022-01-14 23:30 UTC is already 01-15 in China: the machine's date would still say 01-14
    monkeypatch.delenv("URRBMI_TODAY", raising=False)
    monkeypatch.setattr(
        clock, "now", lambda: dt.datetime(2022, 1, 14, 23, 30, tzinfo=dt.UTC).astimezone(clock.CHINA)
    )
    today = dt.date(2022, 1, 15)

    def pay(number: str, ref: str, day: dt.date, officer: bool = False) -> str:
        with session_scope(engine) as s:
            return record_payment(
                s,
                get_campaign(s, cid),
                id_number=number,
                amount=due(number, day),
                channel="cash",
                external_ref=ref,
                paid_on=day,
                actor=ACTOR,
                may_backdate=officer,
            ).payment.status

    with pytest.raises(PaidInFuture) as future:
        pay(people[0], "F-1", today + dt.timedelta(days=1), officer=True)
    assert future.value.code == "paid_on_future" and "2022-01-16" in future.value.zh
    assert pay(people[0], "F-1", today) == "accepted"
    with pytest.raises(BackdateNotAllowed) as old:
        pay(people[1], "F-2", today - dt.timedelta(days=8))
    assert "最早2022-01-08" in old.value.zh and "earliest 2022-01-08" in old.value.en
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 1
    assert pay(people[1], "F-2", today - dt.timedelta(days=7)) == "accepted"
    assert pay(people[2], "F-3", today - dt.timedelta(days=30), officer=True) == "accepted"
    with session_scope(engine) as s:
        audit = s.execute(select(AuditLog.row_key, AuditLog.new).where(AuditLog.action == "backdate")).all()
        pid = s.scalars(select(Payment.id).where(Payment.external_ref == "F-3")).one()
    assert audit == [(str(pid), {"paid_on": "2021-12-16", "days": 23})]
    # a repeat of a recorded payment is answered as before, whatever the day has become
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2022, 3, 1, 12, tzinfo=clock.CHINA))
    with session_scope(engine) as s:
        again = record_payment(
            s,
            get_campaign(s, cid),
            id_number=people[0],
            amount=due(people[0], today),
            channel="cash",
            external_ref="F-1",
            paid_on=today,
            actor=ACTOR,
        )
    assert again.replayed is True and again.payment.status == "accepted"
