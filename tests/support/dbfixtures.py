"""Database fixtures shared by tests/db, tests/registry and tests/campaign.

``db_url`` is parametrized over SQLite (a fresh file per test) and PostgreSQL (one throwaway
database per test session, ``urrbmi_test_<pid>``, emptied before each test and dropped at the
end). The PostgreSQL variant is marked ``postgres``; it is skipped with the reason when no server
answers, and fails instead when ``URRBMI_REQUIRE_PG=1`` (CI). ``URRBMI_TEST_PG_URL`` names the
server (default: postgres on 127.0.0.1, trust auth).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from urrbmi import ids
from urrbmi.db.models import Base
from urrbmi.db.session import get_engine, session_scope, upgrade
from urrbmi.registry.regions import add_region
from urrbmi.registry.residents import NewResident, add_membership, add_resident

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1/postgres"
ACTOR = "tester"


def pg_server_url() -> str:
    return os.environ.get("URRBMI_TEST_PG_URL") or DEFAULT_PG


def _pg_unavailable(reason: str) -> None:
    if os.environ.get("URRBMI_REQUIRE_PG") == "1":
        pytest.fail(f"PostgreSQL required (URRBMI_REQUIRE_PG=1) but unavailable: {reason}")
    pytest.skip(f"no PostgreSQL server reachable at {pg_server_url()}: {reason}")


_CREATED: list[str] = []  # the conftests of three directories share one database


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh database for this test session, migrated to head; dropped afterwards."""
    if _CREATED:
        yield _CREATED[0]
        return
    server = make_url(pg_server_url())
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any connection failure means "no server"
        admin.dispose()
        _pg_unavailable(str(exc).splitlines()[0])
    name = f"urrbmi_test_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        _CREATED.append(url)
        yield url
    finally:
        _CREATED.clear()
        get_engine(url).dispose()
        get_engine.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty(engine: Engine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite'}"
        upgrade(url)
        yield url
        get_engine(url).dispose()
    else:
        url = request.getfixturevalue("pg_database")
        _empty(get_engine(url))
        yield url


@pytest.fixture
def engine(db_url: str) -> Engine:
    return get_engine(db_url)


# --- a small world ------------------------------------------------------------------------


def person(region: str, born: dt.date, seq: int) -> str:
    return ids.make(region, born, seq)


def setup_regions(engine: Engine) -> None:
    """Chongqing/Qianjiang, Chongqing/Fengdu/Shetan, Changji, Suixi with a town each."""
    with session_scope(engine) as s:
        for code, name, level, parent in [
            ("500000", "重庆市", "province", None),
            ("500114", "黔江区", "county", "500000"),
            ("500114001", "城西街道", "town", "500114"),
            ("500114001001", "城西社区", "village", "500114001"),
            ("500230", "丰都县", "county", "500000"),
            ("500230108", "社坛镇", "town", "500230"),
            ("650000", "新疆维吾尔自治区", "province", None),
            ("652300", "昌吉回族自治州", "prefecture", "650000"),
            ("652301", "昌吉市", "county", "652300"),
            ("652301001", "宁边路街道", "town", "652301"),
            ("340000", "安徽省", "province", None),
            ("340621", "濉溪县", "county", "340000"),
            ("340621100", "濉溪镇", "town", "340621"),
        ]:
            add_region(s, code, name, level, parent, actor=ACTOR)


def add_people(
    engine: Engine, region_code: str, id_region: str, n: int, *, start_year: int = 1960, **kw: object
) -> list[str]:
    """``n`` adults registered in ``region_code``; returns their ID numbers."""
    out = []
    with session_scope(engine) as s:
        for i in range(n):
            number = person(
                id_region, dt.date(start_year + i % 40, 1 + i % 12, 1 + i % 28), (2 * i + 1) % 1000
            )
            add_resident(s, NewResident(number, f"居民{i}", region_code, **kw), actor=ACTOR)  # type: ignore[arg-type]
            out.append(number)
    return out


def add_people_at_old_revision(engine: Engine, region_code: str, id_region: str, n: int) -> list[str]:
    """``n`` adults as :func:`add_people`, inserted with only the columns ``residents`` has had
    since the first migration: for tests of a migration, on a database at an older revision than
    the models (whose later columns the ORM would insert)."""
    out = []
    with engine.begin() as conn:
        for i in range(n):
            number = person(id_region, dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28), (2 * i + 1) % 1000)
            conn.execute(
                text(
                    "INSERT INTO residents (id_number, name, sex, birth_date, region_code, residence, "
                    "employee_insured, status, row_version, updated_at) VALUES (:n, :name, :sex, :born, "
                    ":region, 'hukou', false, 'active', 1, '2021-09-01 00:00:00')"
                ),
                {
                    "n": number,
                    "name": f"居民{i}",
                    "sex": ids.sex(number),
                    "born": ids.birth_date(number),
                    "region": region_code,
                },
            )
            out.append(number)
    return out


def give_identity(
    engine: Engine, number: str, category: str, since: dt.date, until: dt.date | None = None
) -> None:
    with session_scope(engine) as s:
        add_membership(s, number, category, since, until, actor=ACTOR)


@pytest.fixture
def pg_engine(pg_database: str) -> Engine:
    """PostgreSQL only (for tests of concurrent transactions), emptied first."""
    eng = get_engine(pg_database)
    _empty(eng)
    return eng
