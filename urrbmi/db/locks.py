"""Transaction-scoped locks for checks that no constraint can hold (e.g. "no two campaigns of one
benefit year over overlapping regions": overlap along the region tree is not a unique key).

A check-then-insert under such a lock is safe against a concurrent writer doing the same:

- PostgreSQL: ``pg_advisory_xact_lock(namespace, key)``, held until the transaction ends. Under
  READ COMMITTED (the default) the check after the lock is a new statement, so it sees what the
  previous holder committed;
- SQLite: nothing to do. SQLite has one writer at a time: a second transaction that read before
  the first committed cannot write afterwards (``database is locked``), so it can never succeed
  on a stale check.
"""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def namespace_key(namespace: str) -> int:
    """A stable signed 32-bit number for a lock namespace (``pg_advisory_xact_lock(int, int)``)."""
    n = zlib.crc32(namespace.encode())
    return n - (1 << 32) if n >= 1 << 31 else n


def lock_for_transaction(session: Session, namespace: str, key: int) -> None:
    """Wait for, then hold until commit or rollback, the lock on (``namespace``, ``key``)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": namespace_key(namespace), "key": key}
        )
