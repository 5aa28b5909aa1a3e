"""Bulk inserts without one round trip per row: COPY on PostgreSQL, one executemany on SQLite.

Both run on the session's own connection, so they are part of its transaction: a failure later
in the transaction undoes them. Values go to the driver directly (SQLAlchemy's per-row parameter
processing costs more than the insert itself at a million rows), converted as SQLAlchemy would
store them: dates as ISO text on SQLite, JSON as text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import JSON, Date, DateTime, Table, insert
from sqlalchemy.orm import Session

from urrbmi.db.models import Base


def bulk_insert(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into the model's table."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    conn = session.connection()
    cols = list(rows[0])
    types = [table.c[c].type for c in cols]
    as_json = [isinstance(t, JSON) for t in types]
    raw: Any = conn.connection.driver_connection
    names = ", ".join(f'"{c}"' for c in cols)
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for r in rows:
                copy.write_row(
                    tuple(
                        json.dumps(r[c], ensure_ascii=False) if j else r[c]
                        for c, j in zip(cols, as_json, strict=True)
                    )
                )
        return
    if conn.dialect.name != "sqlite" or any(isinstance(t, DateTime) for t in types):
        conn.execute(insert(table), list(rows))
        return
    as_date = [isinstance(t, Date) for t in types]
    values = [
        tuple(_sqlite(r[c], j, d) for c, j, d in zip(cols, as_json, as_date, strict=True)) for r in rows
    ]
    marks = ", ".join("?" for _ in cols)
    cur = raw.cursor()
    try:
        cur.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', values)
    finally:
        cur.close()


def _sqlite(value: Any, is_json: bool, is_date: bool) -> Any:
    if value is None:
        return None
    if is_json:
        return json.dumps(value, ensure_ascii=False)
    if is_date and isinstance(value, dt.date):
        return value.isoformat()
    return value
