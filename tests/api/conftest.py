"""API fixtures: a client per backend over the world of apiworld.py.

``world`` is parametrized over SQLite and PostgreSQL through ``db_url`` (tests/support/dbfixtures.py).
argon2 runs with its cheapest parameters here (the production parameters are tested once in
test_auth.py): hashing is deliberately slow and the world makes nine accounts per test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apiworld import World, build_world
from argon2 import PasswordHasher
from dbfixtures import db_url, engine, pg_database, pg_engine  # noqa: F401
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from urrbmi.access import passwords
from urrbmi.interfaces.api import create_app


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    monkeypatch.setenv("URRBMI_COOKIE_SECURE", "0")
    monkeypatch.setenv("URRBMI_AUTH_CACHE_SECONDS", "0")  # revocations take effect at once here


@pytest.fixture
def world(engine: Engine, db_url: str) -> World:  # noqa: F811
    return build_world(engine, db_url)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.url)) as c:
        yield c
