"""Tables between the database and Polars, without one Python object per row where avoidable.

- :func:`read_frame` runs one SQL query and returns a Polars DataFrame: on PostgreSQL through
  ``COPY (query) TO STDOUT`` in CSV, parsed by Polars' CSV reader; on SQLite through the driver's
  cursor (tuples, dates as ISO text, converted by Polars).
- :func:`write_frame` inserts a DataFrame: ``COPY … FROM STDIN`` with CSV written by Polars on
  PostgreSQL; one ``executemany`` on SQLite.

Both run on the session's own connection, inside its transaction (pending ORM changes are
flushed first). Boolean columns must be selected as integers (``CASE WHEN … THEN 1 ELSE 0``)
so both databases give the same text.
"""

from __future__ import annotations

import io
import re
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def read_frame(session: Session, sql: str, params: dict[str, Any], schema: dict[str, Any]) -> pl.DataFrame:
    """One query (``:name`` parameters) as a DataFrame with ``schema`` (column names in order)."""
    session.flush()
    raw: Any = session.connection().connection.driver_connection
    names = list(schema)
    if is_postgres(session):
        query = _PARAM.sub(r"%(\1)s", sql)
        buf = io.BytesIO()
        with raw.cursor() as cur, cur.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for block in copy:
                buf.write(block)
        if buf.tell() == 0:
            return pl.DataFrame(schema=schema)
        return pl.read_csv(buf.getvalue(), has_header=False, new_columns=names, schema=schema)
    cur = raw.cursor()
    try:
        cur.execute(sql, params)
        rows = cur.fetchall()
    finally:
        cur.close()
    text_schema = {n: (pl.String if t == pl.Date else t) for n, t in schema.items()}
    frame = pl.DataFrame(rows, schema=text_schema, orient="row")
    return frame.with_columns(pl.col(n).str.to_date() for n, t in schema.items() if t == pl.Date)


def _differs(session: Session, table: str, cols: list[str]) -> str:
    """SQL: the existing row of ``table`` differs from ``excluded`` in one of ``cols``, nulls
    compared as values (PostgreSQL's row ``IS DISTINCT FROM``; SQLite's ``IS NOT``)."""
    if is_postgres(session):
        mine = ", ".join(f'"{table}"."{c}"' for c in cols)
        theirs = ", ".join(f'excluded."{c}"' for c in cols)
        return f"ROW({mine}) IS DISTINCT FROM ROW({theirs})"
    return "(" + " OR ".join(f'"{table}"."{c}" IS NOT excluded."{c}"' for c in cols) + ")"


def write_frame(
    session: Session, table: str, frame: pl.DataFrame, *, upsert_on: tuple[str, ...] = ()
) -> None:
    """Insert every row of ``frame`` into ``table`` (columns named as the table's).

    ``upsert_on``: the columns of a unique constraint; a row that matches an existing one
    replaces its other columns (``INSERT … ON CONFLICT … DO UPDATE``) — only if one of them
    differs: an identical row is left as it is (no new row version, no index or WAL writes), so
    re-assessing a million residents of whom nothing changed writes nothing (issue 19). On
    PostgreSQL the rows are first copied into a temporary table. An update that leaves a foreign
    key unchanged is not checked again."""
    if frame.height == 0:
        return
    session.flush()
    raw: Any = session.connection().connection.driver_connection
    names = ", ".join(f'"{c}"' for c in frame.columns)
    conflict = ""
    if upsert_on:
        cols = [c for c in frame.columns if c not in upsert_on]
        sets = ", ".join(f'"{c}" = excluded."{c}"' for c in cols)
        differs = _differs(session, table, cols)
        conflict = f" ON CONFLICT ({', '.join(upsert_on)}) DO UPDATE SET {sets} WHERE {differs}"
    if is_postgres(session):
        # strings quoted, nulls as unquoted empty fields: PostgreSQL's CSV tells them apart
        data = frame.write_csv(include_header=False, quote_style="non_numeric").encode()
        target = f"_upsert_{table}" if upsert_on else table
        with raw.cursor() as cur:
            if upsert_on:
                cur.execute(
                    f'CREATE TEMP TABLE "{target}" (LIKE "{table}" INCLUDING DEFAULTS) ON COMMIT DROP'
                )
            with cur.copy(f'COPY "{target}" ({names}) FROM STDIN WITH (FORMAT csv)') as copy:
                for start in range(0, len(data), 1 << 20):
                    copy.write(data[start : start + (1 << 20)])
            if upsert_on:
                cur.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{target}"{conflict}')
                cur.execute(f'DROP TABLE "{target}"')
        return
    dates = [n for n, t in frame.schema.items() if t == pl.Date]
    rows = frame.with_columns(pl.col(n).dt.to_string("%Y-%m-%d") for n in dates).iter_rows()
    marks = ", ".join("?" for _ in frame.columns)
    cur = raw.cursor()
    try:
        cur.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks}){conflict}', rows)
    finally:
        cur.close()
