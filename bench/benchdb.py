"""Throwaway databases for the benchmarks: a temporary SQLite file, and/or a PostgreSQL database
``urrbmi_bench_<pid>`` created on the server of ``pg_url`` and dropped afterwards."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

from sqlalchemy import create_engine, make_url, text

from urrbmi.db.session import get_engine


def each_backend(backend: str, pg_url: str) -> Iterator[tuple[str, str]]:
    """(database URL, label) for ``backend`` = sqlite, postgres or both; each database is removed
    when the caller moves on to the next one (or stops)."""
    if backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite", "sqlite"
    if backend in ("postgres", "both"):
        server = make_url(pg_url)
        name = f"urrbmi_bench_{os.getpid()}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
        try:
            yield url, "postgres"
        finally:
            get_engine(url).dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
