"""The state kept as data (urrbmi.targets.cohorts) stays equal to the row-level reference after
every kind of write that follows its first build: payments and enrollments, cancellations and
refunds (created, voided), deaths, moves between villages, re-assessments, deletions, written
with the ORM or as raw SQL (database triggers mark them, whoever writes). On SQLite and
PostgreSQL, one resident at a time, through a rebuild, and with the signed rows compacted."""

from __future__ import annotations

import datetime as dt
import random
import threading

import polars as pl
import pytest
from random_campaign import DATES, build_random
from reference import collected_at, read_frames, status_at, unpaid_at, weighed_status
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session
from world import VILLAGE_A, VILLAGE_B, VILLAGE_C, World, stamp

from urrbmi.db.models import Assessment, Campaign, Enrollment, Payment, Refund, Resident
from urrbmi.db.models_state import StateBuild, StateCohort, StateMark, StateSegment
from urrbmi.db.session import session_scope
from urrbmi.targets import cohorts
from urrbmi.targets.cohort_reads import now_table
from urrbmi.targets.counting import FLAGS, grouped_status, state_summary, todo_page
from urrbmi.targets.counting import unpaid_at as kept_unpaid

KEYS = ("village", "school", "subsidy_category", "subsidy_pos", "fiscal_zero", "first_day")


AFTER = dt.date(2022, 3, 1)  # after every write: the cohorts as they stand are read


def same_as_reference(s: Session, cid: int, scopes: tuple[str, ...] = ("", "340621100", VILLAGE_C)) -> None:
    """Every count and a page of the list to enroll equal the reference's (read in the same
    session), in ``scopes`` at four dates and after every write (where the cohorts as they stand
    are read, not every stretch)."""
    c = s.get(Campaign, cid)
    assert c is not None
    for scope in scopes:
        frames = read_frames(s, cid, scope)
        for on in (*DATES, AFTER):
            cols = [*KEYS, *FLAGS]
            ref = (
                weighed_status(frames, on).group_by(cols).agg(pl.col("n").sum(), pl.col("subsidy_fen").sum())
            )
            got = grouped_status(s, cid, on, scope, KEYS)
            assert got.sort(cols, nulls_last=True).to_dicts() == ref.sort(cols, nulls_last=True).to_dicts()
            standing = now_table(s, c, on, {"village", *FLAGS}, {})  # (brought up to date above)
            assert (standing is not None) == (on == AFTER), on
            by_village = grouped_status(s, cid, on, scope, ("village",))  # from it, after every write
            ref_village = weighed_status(frames, on).group_by(["village", *FLAGS]).agg(pl.col("n").sum())
            assert by_village.drop("subsidy_fen").sort(["village", *FLAGS]).to_dicts() == (
                ref_village.sort(["village", *FLAGS]).to_dicts()
            )
            # the money kept beside the state: collected by then, and who is still unpaid
            summary = state_summary(s, cid, on, scope)
            assert summary.by_village.get_column("collected_fen").sum() == collected_at(frames, on)
            # the burn-up days and the composition, from their own tables after every write
            counted = weighed_status(frames, on).filter(pl.col("alive") & pl.col("enrolled"))
            days = counted.group_by("first_day").agg(pl.col("n").sum()).sort("first_day")
            assert summary.by_day.sort("first_day").to_dicts() == days.to_dicts()
            cat = ["subsidy_category", "subsidy_pos", "fiscal_zero", "paid"]
            comp = counted.group_by(cat).agg(pl.col("n").sum(), pl.col("subsidy_fen").sum())
            assert summary.by_category.sort(cat, nulls_last=True).to_dicts() == (
                comp.sort(cat, nulls_last=True).to_dicts()
            )
            if not scope:
                assert kept_unpaid(s, frames.campaign, on) == unpaid_at(frames, on)
            todo = (
                status_at(frames, on)
                .filter(pl.col("alive") & ~pl.col("enrolled") & ~pl.col("employee") & ~pl.col("elsewhere"))
                .sort(["village", "rid"])
            )
            total, part = todo_page(s, cid, on, scope, limit=9, offset=2)
            assert (total, part.get_column("rid").to_list()) == (
                todo.height,
                todo["rid"].slice(2, 9).to_list(),
            )


def agrees(engine: Engine, cid: int) -> None:
    """:func:`same_as_reference` in a session of its own, which takes every mark."""
    with session_scope(engine) as s:
        same_as_reference(s, cid)
        assert s.scalar(select(func.count()).select_from(StateMark).where(StateMark.campaign_id == cid)) == 0


def writes(engine: Engine, cid: int, seed: int) -> None:
    """A season's worth of writes of every kind to a random tenth of the residents."""
    rng = random.Random(seed)
    day = dt.date(2021, 11, 1)
    with session_scope(engine) as s:
        w = World(s, cid, 2022)
        w.ref = 10_000 + seed * 1000
        rids = list(s.scalars(select(Resident.id).order_by(Resident.id)))
        for rid in rng.sample(rids, len(rids) // 10):
            village = rng.choice((VILLAGE_A, VILLAGE_B, VILLAGE_C))
            u = rng.random()
            accepted = select(Payment.id).where(Payment.resident_id == rid, Payment.status == "accepted")
            if u < 0.25:
                live = select(Enrollment.id).where(
                    Enrollment.resident_id == rid,
                    Enrollment.benefit_year == 2022,
                    Enrollment.status == "enrolled",
                )
                # one accepted payment per resident and campaign, one live enrollment per year
                if s.scalar(accepted) is None and s.scalar(live) is None:
                    w.paid_enrollment(rid, day + dt.timedelta(days=rng.randrange(40)), village)
            elif u < 0.4:  # cancel an enrollment bought by a payment, with its refund
                e = s.scalars(
                    select(Enrollment).where(
                        Enrollment.resident_id == rid, Enrollment.payment_id.is_not(None)
                    )
                ).first()
                if e is not None and e.payment_id is not None:
                    e.status = "cancelled"
                    s.add(Refund(campaign_id=cid, resident_id=rid, payment_id=e.payment_id, kind="cancellation",
                                 amount_fen=32000, reason="t", status="pending", created_at=stamp(day)))  # fmt: skip
            elif u < 0.5:  # a refund voided, or paid out (the money collected goes down)
                done = rng.choice(("void", "paid"))
                s.execute(update(Refund).where(Refund.resident_id == rid).values(status=done))
            elif u < 0.6:
                s.execute(update(Resident).where(Resident.id == rid).values(status="deceased", died_on=day))
            elif u < 0.7:
                s.execute(update(Resident).where(Resident.id == rid).values(region_code=village))
            elif u < 0.8:
                s.execute(
                    update(Assessment)
                    .where(Assessment.resident_id == rid)
                    .values(subsidy_fen=16000, subsidy_category_code="dibao")
                )
            elif u < 0.9:  # raw SQL: the triggers see it too
                s.execute(
                    text("UPDATE residents SET employee_insured = :t WHERE id = :r"), {"t": True, "r": rid}
                )
            else:
                s.execute(delete(Refund).where(Refund.resident_id == rid))
                pids = select(Payment.id).where(Payment.resident_id == rid).scalar_subquery()
                s.execute(update(Enrollment).where(Enrollment.payment_id.in_(pids)).values(payment_id=None))
                s.execute(delete(Payment).where(Payment.resident_id == rid))


@pytest.mark.parametrize("seed", [3, 4])
def test_the_state_kept_as_data_follows_every_write(engine: Engine, seed: int) -> None:
    cid = build_random(engine, seed)
    agrees(engine, cid)  # built on first use
    with session_scope(engine) as s:
        built = s.get(StateBuild, cid)
        assert built is not None and built.base_rows > 0
        assert (s.scalar(select(func.count()).select_from(StateSegment)) or 0) > 160  # several per resident
    writes(engine, cid, seed)
    with session_scope(engine) as s:  # the writes were marked, one resident each
        marked = s.scalar(
            select(func.count()).select_from(StateMark).where(StateMark.resident_id.is_not(None))
        )
        assert marked is not None and marked > 0
    agrees(engine, cid)  # refreshed one resident at a time
    writes(engine, cid, seed + 100)
    agrees(engine, cid)


def test_a_rebuild_and_a_compaction_give_the_same_counts(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = build_random(engine, 5)
    agrees(engine, cid)
    monkeypatch.setattr(cohorts, "_compact_due", lambda build: True)  # sum the signed rows up each time
    writes(engine, cid, 5)
    agrees(engine, cid)
    with session_scope(engine) as s:
        built = s.get(StateBuild, cid)
        assert built is not None and built.delta_rows == 0 and built.generation > 1
        assert (s.scalar(select(func.min(StateCohort.n))) or 0) > 0  # no signed rows left
    monkeypatch.setattr(cohorts, "REBUILD_AT", 0)  # rebuild rather than one by one
    writes(engine, cid, 6)
    agrees(engine, cid)


def test_a_refresh_rolled_back_leaves_the_marks(engine: Engine) -> None:
    cid = build_random(engine, 7, n=40)
    agrees(engine, cid)
    writes(engine, cid, 7)
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        grouped_status(s, cid, DATES[2])
        raise RuntimeError("the caller fails after counting")
    with session_scope(engine) as s:
        assert (s.scalar(select(func.count()).select_from(StateMark)) or 0) > 0
    agrees(engine, cid)


@pytest.mark.postgres
def test_concurrent_refreshes_count_each_change_once(pg_engine: Engine) -> None:
    """Two readers refresh the same marks at once: the second waits for the first and finds them
    taken, so no change is counted twice."""
    cid = build_random(pg_engine, 8)
    agrees(pg_engine, cid)
    writes(pg_engine, cid, 8)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            with session_scope(pg_engine) as s:
                grouped_status(s, cid, DATES[3])
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    agrees(pg_engine, cid)


def test_the_cli_brings_the_counts_up_to_date(db_url: str) -> None:
    """`urrbmi targets refresh`: the first run builds, a run after one write refreshes one
    resident; its line is in Chinese with the English beside it."""
    from click.testing import CliRunner

    from urrbmi.db.session import get_engine
    from urrbmi.interfaces.cli import main

    cid = build_random(get_engine(db_url), 9, n=30)
    args = ["targets", "refresh", "--db", db_url, "--campaign", str(cid)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "进度统计已更新" in first.output and "全部重建" in first.output
    with session_scope(get_engine(db_url)) as s:
        rid = s.scalars(select(Resident.id).order_by(Resident.id)).first()
        s.execute(update(Resident).where(Resident.id == rid).values(status="moved_out"))
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert "1 人 / residents" in second.output
    agrees(get_engine(db_url), cid)


def test_a_counter_payment_is_counted_at_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The counter payment (on PostgreSQL one statement writing payment, receipt, enrollment,
    period and audit row) is marked by the triggers like any write: the next count has it."""
    from decimal import Decimal

    from urrbmi.campaign.payments import record_payment
    from urrbmi.db.models import Campaign

    cid = build_random(engine, 10, n=60)
    agrees(engine, cid)
    with session_scope(engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None
        taken = select(Enrollment.resident_id).where(Enrollment.benefit_year == 2022)
        r, due = s.execute(
            select(Resident, Assessment.individual_fen)
            .join(Assessment, Assessment.resident_id == Resident.id)
            .where(Resident.status == "active", Resident.died_on.is_(None), Resident.id.not_in(taken))
            .where(Resident.id.not_in(select(Payment.resident_id)))
            .limit(1)
        ).one()
        before = grouped_status(s, cid, DATES[3])
        day = dt.date(2021, 12, 1)
        monkeypatch.setenv("URRBMI_TODAY", day.isoformat())
        res = record_payment(
            s, c, id_number=r.id_number, amount=Decimal(due or 0) / 100, channel="cash", external_ref="C-1",
            paid_on=day, actor="agent", may_backdate=True,
        )  # fmt: skip
        assert res.payment.status == "accepted"
        after = grouped_status(s, cid, DATES[3])
        assert after.filter(pl.col("enrolled"))["n"].sum() == before.filter(pl.col("enrolled"))["n"].sum() + 1
    agrees(engine, cid)


def test_a_sqlite_reader_behind_a_writer_counts_the_marked_residents_itself(tmp_path: object) -> None:
    """SQLite will not let a transaction that has only read write once another has committed
    after its first read (its snapshot is stale). Such a reader cannot bring the counts up to
    date, so it counts the residents still marked from their state as it stands, in its own
    snapshot: the same figures as the reference read in that snapshot, and nothing written."""
    from urrbmi.db.models import Campaign
    from urrbmi.db.session import get_engine, upgrade

    url = f"sqlite:///{tmp_path}/reader.sqlite"
    upgrade(url)
    engine = get_engine(url)
    cid = build_random(engine, 11, n=120)
    agrees(engine, cid)
    writes(engine, cid, 11)  # marks, committed
    reader = session_scope(engine).__enter__()
    try:
        assert reader.get(Campaign, cid) is not None  # the reader's snapshot starts here
        with session_scope(engine, write=True) as w:  # another writer commits after it
            w.execute(update(Resident).where(Resident.id == 1).values(employee_insured=True))
        marks = reader.scalar(select(func.count()).select_from(StateMark).where(StateMark.campaign_id == cid))
        assert (marks or 0) > 0
        c = reader.get(Campaign, cid)
        assert c is not None and cohorts.prepare(reader, c) == "some"  # could not write: corrects
        same_as_reference(reader, cid, ("", VILLAGE_C))
        # it wrote nothing: the marks are still there for the next writer-capable count
        assert (
            reader.scalar(select(func.count()).select_from(StateMark).where(StateMark.campaign_id == cid))
            == marks
        )
    finally:
        reader.rollback()
        reader.close()
    agrees(engine, cid)
