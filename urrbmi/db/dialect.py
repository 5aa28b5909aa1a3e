"""What differs between PostgreSQL and SQLite for the ledger's writers (domain code asks here or
in :mod:`urrbmi.db.frames`, never checks the dialect's name itself)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from urrbmi.db.frames import is_postgres


def analyze(session: Session, *tables: str) -> None:
    """Refresh the planner's statistics of ``tables`` after a big write in this transaction
    (PostgreSQL only: its autovacuum has not seen the rows yet; SQLite plans without them).
    Not for small writes under concurrency: ANALYZE locks the table until commit."""
    if is_postgres(session):
        session.execute(text(f"ANALYZE {', '.join(tables)}"))


__all__ = ["analyze", "is_postgres"]
