"""What differs between PostgreSQL and SQLite for the ledger's writers (domain code asks here or
in :mod:`urrbmi.db.frames`, never checks the dialect's name itself)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Insert, Update, func, literal_column, select, text
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from urrbmi.db.frames import is_postgres


def analyze(session: Session, *tables: str) -> None:
    """Refresh the planner's statistics of ``tables`` after a big write in this transaction
    (PostgreSQL only: its autovacuum has not seen the rows yet; SQLite plans without them).
    Not for small writes under concurrency: ANALYZE locks the table until commit."""
    if is_postgres(session):
        session.execute(text(f"ANALYZE {', '.join(tables)}"))


def no_jit(session: Session) -> None:
    """Turn PostgreSQL's JIT compilation off for the rest of this transaction: for a short query
    whose plan looks costly (row estimates of small partial indexes, a scope's subqueries), where
    compiling took longer than running (the duplicates list, the audit log: docs/web.md)."""
    if is_postgres(session):
        session.execute(text("SET LOCAL jit = off"))


def custom_plans(session: Session) -> None:
    """Plan every statement of the rest of this transaction for the values it is given
    (PostgreSQL's ``plan_cache_mode = force_custom_plan``): for one statement run many times
    with other values, such as a long list read a thousand residents at a time. psycopg prepares
    a statement on its fifth run, and from the fifth run of a prepared statement PostgreSQL may
    switch to a generic plan, blind to the values: a thousand residents' state took 33 ms, then
    272 ms from the eleventh run on. Not for every connection: planning the look-up each time
    cost PostgreSQL 2.5 ms instead of 0.2 ms a request (docs/decisions.md, "Plans for the values
    given")."""
    if is_postgres(session):
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def write_count(session: Session, stmt: Insert | Update) -> int:
    """Run an ``INSERT … SELECT`` or an ``UPDATE`` and return how many rows it wrote.

    PostgreSQL: counted by the statement itself (``WITH w AS (INSERT … RETURNING 1) SELECT
    count(*) FROM w``): psycopg's rowcount came back -1 for some of these statements run through
    the session; SQLite: the cursor's rowcount."""
    if is_postgres(session):
        w = stmt.returning(literal_column("1")).cte("w")
        return int(session.execute(select(func.count()).select_from(w)).scalar_one())
    result = session.execute(stmt)
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


class china_day(FunctionElement[Any]):
    """The China-time calendar date of a timestamp column, in SQL: PostgreSQL converts the stored
    instant to Asia/Shanghai; SQLite stores the China wall-clock time (the writers pass China-time
    timestamps), so its date part is the day."""

    type = Date()
    name = "china_day"
    inherit_cache = True


@compiles(china_day, "postgresql")
def _china_day_postgres(element: china_day, compiler: Any, **kw: Any) -> str:
    return f"CAST(timezone('Asia/Shanghai', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(china_day)
def _china_day_wall_clock(element: china_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


__all__ = ["analyze", "china_day", "is_postgres", "no_jit", "write_count"]
