"""The payments counted by channel and status, kept as data (``payment_totals``, migration 0024):
signed rows that database triggers on ``payments`` write in each writer's own transaction, so
every write is counted whoever makes it (the ledger, a file import, raw SQL). A reader sums them;
once a campaign has more than :data:`COMPACT_AT` rows, the reader sums them up into one row per
channel and status (one statement: the rows it deletes are exactly those it sums, so a payment
committed meanwhile is neither lost nor counted twice)."""

from __future__ import annotations

from sqlalchemy import BigInteger, delete, func, insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from urrbmi.db.dialect import is_postgres
from urrbmi.db.models_state import PaymentTotal

COMPACT_AT = 1_000  # rows of a campaign before a reader sums them up


def payment_totals(session: Session, campaign_id: int, status: str) -> list[tuple[str, int, int]]:
    """(channel, payments, fen) of campaign ``campaign_id``'s payments in ``status``, by channel."""
    _compact_if_due(session, campaign_id)
    t = PaymentTotal
    q = (
        select(t.channel, func.sum(t.n).cast(BigInteger), func.sum(t.fen).cast(BigInteger))
        .where(t.campaign_id == campaign_id, t.status == status)
        .group_by(t.channel)
        .having(func.sum(t.n) != 0)
        .order_by(t.channel)
    )
    return [(str(ch), int(n), int(fen)) for ch, n, fen in session.execute(q)]


def _compact_if_due(session: Session, campaign_id: int) -> None:
    t = PaymentTotal
    rows = session.scalar(select(func.count()).where(t.campaign_id == campaign_id))
    if not rows or rows <= COMPACT_AT:
        return
    try:
        with session.begin_nested():
            _compact(session, campaign_id)
    except OperationalError as exc:  # a SQLite reader another writer got ahead of: sum as they are
        if "locked" not in str(exc.orig):
            raise


def _compact(session: Session, campaign_id: int) -> None:
    t = PaymentTotal
    keys = (t.campaign_id, t.channel, t.status)
    if is_postgres(session):
        gone = delete(t).where(t.campaign_id == campaign_id).returning(*keys, t.n, t.fen).cte("gone")
        by = (gone.c.campaign_id, gone.c.channel, gone.c.status)
        summed = (
            select(*by, func.sum(gone.c.n), func.sum(gone.c.fen))
            .group_by(*by)
            .having((func.sum(gone.c.n) != 0) | (func.sum(gone.c.fen) != 0))
        )
        cols = ["campaign_id", "channel", "status", "n", "fen"]
        session.execute(insert(t).from_select(cols, summed).add_cte(gone))  # WITH at the top
        return
    # SQLite: one writer at a time, so the rows up to the last id read are all there are
    last = session.scalar(select(func.max(t.id)).where(t.campaign_id == campaign_id))
    mine = (t.campaign_id == campaign_id, t.id <= last)
    summed = (
        select(*keys, func.sum(t.n), func.sum(t.fen))
        .where(*mine)
        .group_by(*keys)
        .having((func.sum(t.n) != 0) | (func.sum(t.fen) != 0))
    )
    session.execute(insert(t).from_select(["campaign_id", "channel", "status", "n", "fen"], summed))
    session.execute(delete(t).where(*mine))
