"""Database URL, engines, sessions and migrations.

The embedded default is a SQLite file (``./var/urrbmi.sqlite``); production uses PostgreSQL via
psycopg 3 (``postgresql+psycopg://postgres@127.0.0.1/urrbmi``). ``URRBMI_DATABASE_URL`` overrides
the default. :func:`open_db` migrates a fresh SQLite file automatically; PostgreSQL databases are
migrated explicitly with ``urrbmi db upgrade``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from urrbmi.errors import UrrbmiError

DEFAULT_URL = "sqlite:///var/urrbmi.sqlite"
MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(UrrbmiError):
    code = "database"
    http_status = 503  # the schema is not at the head revision


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``URRBMI_DATABASE_URL``, else the SQLite default."""
    return url or os.environ.get("URRBMI_DATABASE_URL") or DEFAULT_URL


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    # 64 MiB of page cache per connection (the default is 2 MiB): a million-row import or
    # assessment touches index pages all over; measured in docs/imports.md (speed)
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


@cache
def get_engine(url: str) -> Engine:
    """One engine per URL (engines pool connections; make them once)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: str | None = None, revision: str = "head") -> str | None:
    """Apply migrations up to ``revision``; returns the revision now current."""
    engine = get_engine(database_url(url))
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return current_revision(engine)


def open_db(url: str | None = None) -> Engine:
    """The engine for ``url``, checked to be at the head revision.

    A SQLite database that has never been migrated (a fresh file) is migrated here; any other
    database behind head is an error telling the user to run ``urrbmi db upgrade``."""
    full = database_url(url)
    engine = get_engine(full)
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return engine
    if current is None and engine.dialect.name == "sqlite":
        upgrade(full)
        return engine
    shown = make_url(full).render_as_string(hide_password=True)
    raise DatabaseError(
        f"数据库{shown}的结构版本为{current or '空'}，需要{head}；请先运行 urrbmi db upgrade",
        f"database {shown} is at schema revision {current or 'none'}, expected {head}; "
        "run `urrbmi db upgrade` first",
        code="database_not_migrated",
    )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
