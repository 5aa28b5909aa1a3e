"""Issue 13, class 3 (races): the login lock-out holds at its count under any concurrency and
does not tell which user names exist; concurrent writers on SQLite queue instead of failing.

Requests go to a real server on loopback (liveserver.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from functools import partial

import httpx
import pytest
from apiworld import AS_OF, PASSWORD, World
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from liveserver import at_once, live_server
from sqlalchemy import func, select, update

from urrbmi.access import passwords
from urrbmi.db.models import Payment
from urrbmi.db.models_access import User
from urrbmi.db.session import session_scope

LIMIT = 5


@pytest.fixture(autouse=True)
def lockout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URRBMI_LOCKOUT_FAILURES", str(LIMIT))
    monkeypatch.setenv("URRBMI_LOCKOUT_MINUTES", "15")


def login(http: httpx.Client, username: str, password: str) -> httpx.Response:
    return http.post("/api/v1/auth/login", json={"username": username, "password": password, "kind": "token"})


def hash_of(world: World, username: str) -> str:
    with session_scope(world.engine) as s:
        return str(s.scalars(select(User.password_hash).where(User.username == username)).one())


def watch(monkeypatch: pytest.MonkeyPatch, before: Callable[[str, str], None]) -> list[str]:
    """Every password check the server makes, by the hash it checks against (``before`` runs
    first, in the server's thread)."""
    checked: list[str] = []
    real = passwords.verify

    def spy(stored: str, password: str) -> bool:
        checked.append(stored)
        before(stored, password)
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify", spy)
    return checked


def test_a_burst_of_wrong_passwords_checks_no_more_than_the_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_hash = hash_of(world, "agent_a")
    checked = watch(monkeypatch, lambda _s, _p: None)
    with live_server(world.url) as http:
        answers = at_once([partial(login, http, "agent_a", f"wrong password {i}") for i in range(40)])
        unknown = login(http, "nobody", "wrong password")
        right = login(http, "agent_a", PASSWORD)
    assert [r.status_code for r in answers] == [401] * 40
    assert all(r.json() == unknown.json() for r in answers)  # locked or wrong: the unknown user's answer
    assert checked.count(real_hash) == LIMIT  # the other 35 were refused unchecked
    assert right.status_code == 401 and right.json() == unknown.json()  # the lock holds


def test_the_right_password_is_refused_once_the_limit_is_in_flight(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LIMIT wrong passwords are being checked (held inside the server) when the right one comes:
    they have used up the attempts, so it is refused without being checked."""
    real_hash = hash_of(world, "agent_a")
    inside = threading.Semaphore(0)
    release = threading.Event()

    def hold_wrong(stored: str, password: str) -> None:
        if stored == real_hash and password != PASSWORD:
            inside.release()
            release.wait(60)

    checked = watch(monkeypatch, hold_wrong)
    with live_server(world.url) as http, ThreadPoolExecutor(LIMIT) as pool:
        wrong = [pool.submit(login, http, "agent_a", f"wrong password {i}") for i in range(LIMIT)]
        try:
            for _ in range(LIMIT):
                assert inside.acquire(timeout=60)
            right = login(http, "agent_a", PASSWORD)
        finally:
            release.set()
        answers = [f.result() for f in wrong]
        unknown = login(http, "nobody", PASSWORD)
    assert right.status_code == 401 and right.json() == unknown.json() and "token" not in right.text
    assert [r.status_code for r in answers] == [401] * LIMIT
    assert checked.count(real_hash) == LIMIT


def test_unknown_user_takes_the_path_of_a_wrong_password(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = watch(monkeypatch, lambda _s, _p: None)
    a = client.post("/api/v1/auth/login", json={"username": "town_a", "password": "wrong password!"})
    b = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrong password!"})
    assert a.status_code == b.status_code == 401 and a.json() == b.json()
    assert len(checked) == 2 and checked[1] == passwords.dummy_hash()  # one argon2 check each


def test_a_success_ends_the_run_even_on_the_last_attempt(world: World, client: TestClient) -> None:
    for _ in range(2):
        for i in range(LIMIT - 1):
            r = client.post(
                "/api/v1/auth/login", json={"username": "agent_a", "password": f"wrong {i} xxxxx"}
            )
            assert r.status_code == 401
        r = client.post("/api/v1/auth/login", json={"username": "agent_a", "password": PASSWORD})
        assert r.status_code == 200, r.text  # the LIMIT-th attempt, right: in, and the count is reset
    with session_scope(world.engine) as s:
        u = s.scalars(select(User).where(User.username == "agent_a")).one()
        assert u.failed_logins == 0 and u.locked_until is None


def test_login_upgrades_a_hash_made_with_old_parameters(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = hash_of(world, "agent_a")
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=2, memory_cost=64, parallelism=1))
    assert (
        client.post("/api/v1/auth/login", json={"username": "agent_a", "password": PASSWORD}).status_code
        == 200
    )
    new = hash_of(world, "agent_a")
    assert new != old and "t=2" in new and passwords.verify(new, PASSWORD)


@pytest.mark.slow
def test_concurrent_counter_payments_are_all_recorded(world: World) -> None:
    """200 payment posts at once: no server error (on SQLite writers queue for the lock), every
    payment recorded once, one accepted per resident."""
    people = world.people_a + world.people_b
    h = world.auth("officer")
    base = f"/api/v1/campaigns/{world.campaign_id}/payments"
    with live_server(world.url) as http:
        due = {}
        for n in people:
            r = http.post("/api/v1/residents/lookup", json={"id_number": n}, headers=h)
            due[n] = Decimal(str(r.json()["campaigns"][0]["amount_due"]))
        calls = [
            partial(
                http.post,
                base,
                json={
                    "id_number": people[i % len(people)],
                    "amount": str(due[people[i % len(people)]]),
                    "external_ref": f"P-{i:03d}",
                    "paid_on": AS_OF.isoformat(),
                },
                headers=h,
            )
            for i in range(200)
        ]
        answers = at_once(calls)
    errors = [(r.status_code, r.text[:200]) for r in answers if r.status_code != 200]
    assert errors == []
    with session_scope(world.engine) as s:
        refs = list(s.scalars(select(Payment.external_ref)))
        accepted = s.execute(
            select(Payment.id_number, func.count())
            .where(Payment.status == "accepted")
            .group_by(Payment.id_number)
        ).all()
    assert sorted(refs) == [f"P-{i:03d}" for i in range(200)]
    assert sorted(accepted) == sorted((n, 1) for n in people)


def test_reads_go_on_while_a_writer_holds_the_lock(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only writers queue: a GET and a lookup (a read-only POST) answer while another transaction
    holds the write lock (on SQLite a writer would wait for it, then fail after busy_timeout).
    The token is resolved first, outside the lock (the token check of a POST is a writer)."""
    monkeypatch.setenv("URRBMI_AUTH_CACHE_SECONDS", "600")
    h = world.auth("officer")
    lookup = {"id_number": world.people_a[0]}
    assert client.post("/api/v1/residents/lookup", json=lookup, headers=h).status_code == 200
    with session_scope(world.engine, write=True) as s:
        s.execute(update(User).where(User.username == "auditor").values(display_name="审计"))
        r = client.post("/api/v1/residents/lookup", json=lookup, headers=h)
        assert r.status_code == 200, r.text
        r = client.get(f"/api/v1/campaigns/{world.campaign_id}", headers=h)
        assert r.status_code == 200, r.text
