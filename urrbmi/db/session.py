"""Database URL, engines, sessions and migrations.

The embedded default is a SQLite file (``./var/urrbmi.sqlite``); production uses PostgreSQL via
psycopg 3 (``postgresql+psycopg://postgres@127.0.0.1/urrbmi``). ``URRBMI_DATABASE_URL`` overrides
the default; a plain file path (no ``scheme://``) means a SQLite file. :func:`open_db` migrates a
fresh SQLite file automatically when the caller may create one (``create=True``: commands that
write); otherwise a missing SQLite file is an error and nothing is created. PostgreSQL databases
are migrated explicitly with ``urrbmi db upgrade``. An unknown scheme, a server that cannot be
reached and a path that cannot be opened are :class:`DatabaseError` (one bilingual line).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from urrbmi.errors import MissingComponent, UrrbmiError

DEFAULT_URL = "sqlite:///var/urrbmi.sqlite"
MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(UrrbmiError):
    code = "database"
    http_status = 503  # the schema is not at the head revision


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``URRBMI_DATABASE_URL``, else the SQLite default.

    A value without ``://`` is the path of a SQLite file (``var/demo.sqlite`` is
    ``sqlite:///var/demo.sqlite``)."""
    value = (url or os.environ.get("URRBMI_DATABASE_URL") or DEFAULT_URL).strip()
    if "://" in value:
        return value
    if _NOT_A_PATH.match(value):
        # `--db postgresql` or `postgresql:/host/db` would otherwise create an empty SQLite file
        # of that name and run the command on it
        raise DatabaseError(
            f"数据库地址“{value}”像数据库类型而不是文件路径：PostgreSQL 请写完整URL（如 "
            "postgresql+psycopg://用户@主机/库名），SQLite 请写文件路径（如 var/urrbmi.sqlite）",
            f"the database address {value!r} looks like a database kind, not a file path: write a "
            "full URL for PostgreSQL (e.g. postgresql+psycopg://user@host/db) or a file path for "
            "SQLite (e.g. var/urrbmi.sqlite)",
            code="database_url",
        )
    return f"sqlite:///{value}"


# a database kind named bare (``postgresql``, ``mysql+pymysql``) or a URL with its ``//`` lost
# (``postgresql:/host/db``); a Windows drive (``C:``) is one letter and stays a path
_NOT_A_PATH = re.compile(
    r"^(?:(?:postgres(?:ql)?|mysql|mariadb|sqlite|oracle|mssql)(?:\+\w+)?|[A-Za-z][\w+.-]+:.*)$",
    re.IGNORECASE,
)


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise DatabaseError(
            "数据库地址格式不对：应为文件路径（如 var/urrbmi.sqlite）或URL（如 postgresql+psycopg://用户@主机/库名）",
            "the database address is neither a file path (e.g. var/urrbmi.sqlite) nor a URL "
            "(e.g. postgresql+psycopg://user@host/db)",
            code="database_url",
        ) from None


def shown_url(url: str) -> str:
    """The URL as it may be printed (password hidden)."""
    return _parse(url).render_as_string(hide_password=True)


def _sqlite_file(u: URL) -> Path | None:
    """The file of a SQLite URL (None for an in-memory database or another backend)."""
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    if u.query.get("mode") == "memory" or u.database.startswith("file::memory:"):
        return None
    name = u.database.removeprefix("file:") if u.query.get("uri") else u.database
    return Path(name)


# An execution option: transactions on such connections write, so on SQLite they begin with
# ``BEGIN IMMEDIATE`` (see :func:`writer`).
WRITE_OPTION = "urrbmi_write"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is off (it would begin late, and deferred); SQLAlchemy's
    # ``begin`` event emits BEGIN instead (_sqlite_begin)
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    # a writer waits this long for the write lock (BEGIN IMMEDIATE) before failing: as long as a
    # request waits for a pooled connection (30 s); a burst of 50 channel notifications on a
    # loaded 2-core machine had writers waiting more than 10 s
    cur.execute("PRAGMA busy_timeout=30000")
    # 64 MiB of page cache per connection (the default is 2 MiB): a million-row import or
    # assessment touches index pages all over; measured in docs/imports.md (speed)
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    """``BEGIN IMMEDIATE`` for writers, plain (deferred) ``BEGIN`` for readers.

    A deferred transaction that reads and then writes cannot wait for the write lock once another
    writer has committed since its read (SQLite answers ``database is locked`` at once, whatever
    ``busy_timeout`` says); an immediate one takes the lock first and waits its turn. Readers stay
    deferred: under WAL they read a snapshot without taking the write lock."""
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer(engine: Engine) -> Engine:
    """``engine`` for transactions that write (same pool): on SQLite they begin immediately."""
    return engine.execution_options(**{WRITE_OPTION: True})


def _setting(name: str, default: int, low: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = default if raw == "" else int(raw)
    except ValueError:
        value = low - 1
    if value < low:
        raise DatabaseError(
            f"环境变量{name}应为不小于{low}的整数，现为“{raw}”",
            f"{name} must be an integer of at least {low}, not {raw!r}",
            code="database_settings",
        )
    return value


def pool_options() -> dict[str, Any]:
    """The PostgreSQL pool of one process (docs/api.md, "Production settings"):

    - ``URRBMI_DB_POOL_SIZE`` [10] connections kept open, ``URRBMI_DB_MAX_OVERFLOW`` [10] more
      opened under a burst and closed when returned. A uvicorn worker runs at most 40 requests at
      once (its thread pool) and, being CPU-bound in Python, gains nothing from more than about
      ten in the database at the same time; the rest wait for a connection (``pool_timeout``,
      30 s) instead of each opening a new backend (the former 5 + 10 churned: 525 new backends in
      3,238 look-ups);
    - ``URRBMI_DB_POOL_RECYCLE`` [1800] seconds: a connection older than this is replaced at
      check-out, before a firewall or the server drops it;
    - ``URRBMI_DB_PRE_PING`` [0]: 1 pings each connection at check-out (one round trip more per
      request). Off by default: a connection found dead mid-request invalidates the pool (every
      older connection is replaced) and the request answers 503 ``database_unavailable``
      (:func:`_disconnect`), which clients retry — look-ups are reads, payments idempotent by
      reference. Turn it on where a server restart must not cost one failed request per worker.
    """
    return {
        "pool_size": _setting("URRBMI_DB_POOL_SIZE", 10, 1),
        "max_overflow": _setting("URRBMI_DB_MAX_OVERFLOW", 10, 0),
        "pool_recycle": _setting("URRBMI_DB_POOL_RECYCLE", 1800, 1),
        "pool_pre_ping": _setting("URRBMI_DB_PRE_PING", 0, 0) == 1,
    }


def _disconnect(ctx: Any) -> None:
    """A connection lost in the middle of a transaction (the server restarted, a stale pooled
    connection): one bilingual 503 instead of an internal error; SQLAlchemy invalidates the pool
    after this handler, so the next request reconnects."""
    if ctx.is_disconnect and ctx.connection is not None:
        from urrbmi.ids import mask_text

        lines = str(ctx.original_exception).strip().splitlines()
        reason = mask_text(lines[0] if lines else type(ctx.original_exception).__name__)
        raise DatabaseError(
            f"与数据库的连接已断开，请重试：{reason}",
            f"the connection to the database was lost; try again: {reason}",
            code="database_unavailable",
        )


@cache
def get_engine(url: str) -> Engine:
    """One engine per URL (engines pool connections; make them once).

    The directory of a SQLite file is created here: callers that must not create a database
    call :func:`check_exists` first (:func:`open_db` with ``create=False``)."""
    u = _parse(url)
    try:
        if u.get_backend_name() == "sqlite":
            file = _sqlite_file(u)
            if file is not None:
                file.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(u)
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        engine = create_engine(u, **pool_options())
        event.listen(engine, "handle_error", _disconnect)
        return engine
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        if isinstance(exc, ImportError) and u.get_backend_name() == "postgresql":
            raise MissingComponent("postgres") from None
        shown = u.render_as_string(hide_password=True)
        raise DatabaseError(
            f"不支持的数据库类型“{u.drivername}”（{shown}）；可用 sqlite 或 postgresql+psycopg",
            f"unsupported database type {u.drivername!r} ({shown}); use sqlite or postgresql+psycopg",
            code="database_url",
        ) from None
    except OSError as exc:
        raise DatabaseError(
            f"无法建立数据库目录{exc.filename}：{exc.strerror}",
            f"cannot create the database directory {exc.filename}: {exc.strerror}",
            code="database_path",
        ) from None


def check_exists(url: str) -> None:
    """Refuse a SQLite file that does not exist (commands that only read never create one)."""
    file = _sqlite_file(_parse(url))
    if file is not None and file.is_dir():
        raise DatabaseError(
            f"{file}是目录，不是数据库文件：请检查 --db",
            f"{file} is a directory, not a database file: check --db",
            code="database_path",
        )
    if file is not None and not file.is_file():
        raise DatabaseError(
            f"数据库文件{file}不存在：请检查 --db（只读的命令不会新建数据库；新建请用 urrbmi db upgrade）",
            f"the database file {file} does not exist: check --db (a command that only reads creates "
            "no database; `urrbmi db upgrade` creates one)",
            code="database_missing",
        )


def _unavailable(url: str, exc: DBAPIError) -> DatabaseError:
    from urrbmi.ids import mask_text

    lines = str(exc.orig).strip().splitlines()
    reason = mask_text(lines[0] if lines else type(exc.orig).__name__)
    shown = shown_url(url)
    return DatabaseError(
        f"无法打开数据库{shown}：{reason}",
        f"cannot open the database {shown}: {reason}",
        code="database_unavailable",
    )


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def connected_revision(url: str) -> tuple[Engine, str | None]:
    """The engine for a full URL and its current revision; a database that cannot be opened
    (server down, wrong password, a directory given as the file) is a :class:`DatabaseError`."""
    engine = get_engine(url)
    try:
        return engine, current_revision(engine)
    except DBAPIError as exc:
        raise _unavailable(url, exc) from None


def upgrade(url: str | None = None, revision: str = "head") -> str | None:
    """Apply migrations up to ``revision``; returns the revision now current."""
    full = database_url(url)
    engine, _ = connected_revision(full)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return current_revision(engine)


def open_db(url: str | None = None, *, create: bool = True) -> Engine:
    """The engine for ``url``, checked to be at the head revision.

    With ``create`` (commands that write), a SQLite database that has never been migrated (a
    fresh file) is created and migrated here; without it, a missing SQLite file is an error and
    nothing is created. Any other database behind head is an error telling the user to run
    ``urrbmi db upgrade``."""
    full = database_url(url)
    if not create:
        check_exists(full)
    engine, current = connected_revision(full)
    head = head_revision()
    if current == head:
        return engine
    if current is None and engine.dialect.name == "sqlite" and create:
        upgrade(full)
        return engine
    shown = shown_url(full)
    raise DatabaseError(
        f"数据库{shown}的结构版本为{current or '空'}，需要{head}；请先运行 urrbmi db upgrade",
        f"database {shown} is at schema revision {current or 'none'}, expected {head}; "
        "run `urrbmi db upgrade` first",
        code="database_not_migrated",
    )


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error.

    ``write``: the transaction writes under concurrency (API requests, services run from threads):
    on SQLite it takes the write lock at once (:func:`writer`), so concurrent writers queue on
    ``busy_timeout`` instead of failing."""
    factory = sessionmaker(writer(engine) if write else engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
