"""The payments counted by channel and status, kept by database triggers
(urrbmi.campaign.payment_totals, migration 0024), equal a count over the payments after every kind
of write (ORM and raw SQL inserts, status, channel and amount changes, deletions), after they are
summed up, and with payments written while a reader sums them up (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from random_campaign import build_random
from sqlalchemy import Engine, delete, func, select, text, update
from world import World

from urrbmi.campaign import payment_totals as totals
from urrbmi.db.models import PAYMENT_STATUS, Payment, Resident
from urrbmi.db.models_state import PaymentTotal
from urrbmi.db.session import session_scope


def counted(engine: Engine, cid: int) -> None:
    """Every status's totals by channel equal the payments' own count and sum."""
    with session_scope(engine) as s:
        for status in PAYMENT_STATUS:
            truth = s.execute(
                select(Payment.channel, func.count(), func.sum(Payment.amount_fen))
                .where(Payment.campaign_id == cid, Payment.status == status)
                .group_by(Payment.channel)
                .order_by(Payment.channel)
            ).all()
            assert totals.payment_totals(s, cid, status) == [(ch, n, int(f)) for ch, n, f in truth], status


def scribble(engine: Engine, cid: int, seed: int) -> None:
    """Payment writes of every kind to a random half of the payments and some new ones."""
    rng = random.Random(seed)
    with session_scope(engine) as s:
        w = World(s, cid, 2022)
        w.ref = 50_000 + seed * 1000
        rids = list(s.scalars(select(Resident.id).order_by(Resident.id)))
        for rid in rng.sample(rids, 10):  # new payments through the ORM
            day = dt.date(2021, 11, 1) + dt.timedelta(days=rng.randrange(30))
            w.pay(rid, day, rng.choice((16000, 32000)), status="held")  # (one accepted per resident)
        pids = list(s.scalars(select(Payment.id).where(Payment.campaign_id == cid).order_by(Payment.id)))
        for pid in rng.sample(pids, len(pids) // 2):
            u = rng.random()
            if u < 0.3:
                other = rng.choice([st for st in PAYMENT_STATUS if st != "accepted"])
                s.execute(update(Payment).where(Payment.id == pid).values(status=other))
            elif u < 0.5:  # raw SQL: the triggers see it too
                s.execute(
                    text("UPDATE payments SET channel = 'cash', amount_fen = 100 WHERE id = :p"), {"p": pid}
                )
            elif u < 0.6:
                s.execute(update(Payment).where(Payment.id == pid).values(recorded_by="someone"))  # no change
            elif u < 0.7:
                s.execute(text("UPDATE enrollments SET payment_id = NULL WHERE payment_id = :p"), {"p": pid})
                s.execute(text("DELETE FROM refunds WHERE payment_id = :p"), {"p": pid})
                s.execute(delete(Payment).where(Payment.id == pid))
        # one statement over many rows
        s.execute(
            update(Payment).where(Payment.campaign_id == cid, Payment.channel == "bank").values(channel="pos")
        )


def test_the_totals_follow_every_payment_write(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    cid = build_random(engine, 21)
    counted(engine, cid)
    scribble(engine, cid, 21)
    counted(engine, cid)
    with session_scope(engine) as s:
        before = s.scalar(
            select(func.count()).select_from(PaymentTotal).where(PaymentTotal.campaign_id == cid)
        )
    monkeypatch.setattr(totals, "COMPACT_AT", 0)  # the next reader sums them up
    counted(engine, cid)
    with session_scope(engine) as s:
        after = s.scalar(
            select(func.count()).select_from(PaymentTotal).where(PaymentTotal.campaign_id == cid)
        )
    assert before is not None and after is not None and after < before
    scribble(engine, cid, 22)
    counted(engine, cid)


@pytest.mark.postgres
def test_payments_written_while_a_reader_sums_up_are_counted_once(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = build_random(pg_engine, 23)
    monkeypatch.setattr(totals, "COMPACT_AT", 0)
    errors: list[BaseException] = []

    def write(seed: int) -> None:
        try:
            for i in range(15):
                with session_scope(pg_engine) as s:
                    w = World(s, cid, 2022)
                    w.ref = 90_000 + seed * 100 + i
                    rid = s.scalars(select(Resident.id).order_by(Resident.id).offset(seed * 15 + i)).first()
                    assert rid is not None
                    w.pay(rid, dt.date(2021, 12, 1), status="held")
        except BaseException as e:
            errors.append(e)

    def read() -> None:
        try:
            for _ in range(15):
                with session_scope(pg_engine) as s:
                    totals.payment_totals(s, cid, "accepted")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(2)]
    threads += [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    counted(pg_engine, cid)
