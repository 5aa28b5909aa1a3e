"""What differs between PostgreSQL and SQLite, in one place (domain code asks here, never checks
the dialect's name itself)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def analyze(session: Session, *tables: str) -> None:
    """Refresh the planner's statistics of ``tables`` after a big write in this transaction
    (PostgreSQL only: its autovacuum has not seen the rows yet; SQLite plans without them).
    Not for small writes under concurrency: ANALYZE locks the table until commit."""
    if is_postgresql(session):
        session.execute(text(f"ANALYZE {', '.join(tables)}"))


__all__ = ["analyze", "is_postgresql"]
