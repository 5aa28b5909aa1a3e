"""Accounts, login, sessions, tokens, CSRF, lock-out, password hashing."""

from __future__ import annotations

import datetime as dt

import pytest
from apiworld import PASSWORD, World
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from urrbmi.access import passwords
from urrbmi.access.roles import PERMISSIONS, ROLE_PERMISSIONS
from urrbmi.db.models import AuditLog
from urrbmi.db.models_access import ROLES, ApiSession, User
from urrbmi.db.session import session_scope


def test_password_hash_is_argon2id_with_production_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher())
    h = passwords.hash_password("a long enough password")
    assert h.startswith("$argon2id$") and "a long enough" not in h
    assert passwords.verify(h, "a long enough password")
    assert not passwords.verify(h, "a long enough passworD")
    assert not passwords.verify("not a hash", "x")


def test_every_role_has_a_row_and_only_known_permissions() -> None:
    assert set(ROLE_PERMISSIONS) == set(ROLES)
    for perms in ROLE_PERMISSIONS.values():
        assert perms <= set(PERMISSIONS)
    assert ROLE_PERMISSIONS["dept_uploader"] == {"list.upload"}
    assert "audit.read" in ROLE_PERMISSIONS["auditor"]
    assert not any(
        p.endswith((".write", ".manage", ".record", ".import", ".cancel"))
        for p in ROLE_PERMISSIONS["auditor"]
    )


def test_token_login_and_me(world: World, client: TestClient) -> None:
    r = client.post("/api/v1/auth/login", json={"username": "town_a", "password": PASSWORD, "kind": "token"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["role"] == "township_officer" and body["region_code"] == "500114001" and body["token"]
    assert "set-cookie" not in r.headers
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["username"] == "town_a"
    assert "payment.record" in me.json()["permissions"]


def test_wrong_password_and_unknown_user_answer_alike(world: World, client: TestClient) -> None:
    a = client.post("/api/v1/auth/login", json={"username": "town_a", "password": "wrong password!"})
    b = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrong password!"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json() and a.json()["error"]["code"] == "bad_credentials"


def test_lockout_after_repeated_failures(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URRBMI_LOCKOUT_FAILURES", "3")
    monkeypatch.setenv("URRBMI_LOCKOUT_MINUTES", "10")
    for _ in range(3):
        assert (
            client.post(
                "/api/v1/auth/login", json={"username": "agent_a", "password": "nope nope nope"}
            ).status_code
            == 401
        )
    r = client.post("/api/v1/auth/login", json={"username": "agent_a", "password": PASSWORD})
    unknown = client.post("/api/v1/auth/login", json={"username": "nobody", "password": PASSWORD})
    # locked: the right password is refused, with the answer an unknown user gets
    assert r.status_code == unknown.status_code == 401 and r.json() == unknown.json()
    with session_scope(world.engine) as s:
        u = s.scalars(select(User).where(User.username == "agent_a")).one()
        assert u.locked_until is not None
        assert s.scalars(select(AuditLog).where(AuditLog.action == "locked")).first() is not None
        # the lock ends by itself
        s.execute(
            update(User).where(User.id == u.id).values(locked_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        )
    assert (
        client.post("/api/v1/auth/login", json={"username": "agent_a", "password": PASSWORD}).status_code
        == 200
    )


def test_browser_session_cookie_and_csrf(world: World, client: TestClient) -> None:
    r = client.post("/api/v1/auth/login", json={"username": "officer", "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    csrf = r.json()["csrf_token"]
    assert csrf and r.json()["token"] is None
    # reading works with the cookie alone
    assert client.get("/api/v1/auth/me").status_code == 200
    assert client.get("/api/v1/auth/csrf").json()["csrf_token"] == csrf
    body = {"id_number": world.people_a[0]}
    # a state-changing request without the token is refused, with the wrong one too
    r = client.post("/api/v1/residents/lookup", json=body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    r = client.post("/api/v1/residents/lookup", json=body, headers={"X-CSRF-Token": "x" * 43})
    assert r.status_code == 403
    r = client.post("/api/v1/residents/lookup", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    # logout ends the session
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    assert client.get("/api/v1/auth/me").status_code == 401


def test_expired_and_idle_sessions_are_refused(world: World, client: TestClient) -> None:
    h = world.auth("officer")
    assert client.get("/api/v1/auth/me", headers=h).status_code == 200
    with session_scope(world.engine) as s:
        s.execute(update(ApiSession).values(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
    r = client.get("/api/v1/auth/me", headers=h)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    # idle: a browser session unused longer than the idle timeout
    r = client.post("/api/v1/auth/login", json={"username": "town_a", "password": PASSWORD})
    assert client.get("/api/v1/auth/me").status_code == 200
    with session_scope(world.engine) as s:
        s.execute(
            update(ApiSession)
            .where(ApiSession.kind == "browser")
            .values(last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
        )
    assert client.get("/api/v1/auth/me").status_code == 401


def test_disabled_user_loses_its_tokens(world: World, client: TestClient) -> None:
    from urrbmi.access.accounts import disable_user

    with session_scope(world.engine) as s:
        disable_user(s, "agent_b", actor="t")
    assert client.get("/api/v1/auth/me", headers=world.auth("agent_b")).status_code == 401


def test_no_token_is_401(world: World, client: TestClient) -> None:
    r = client.post("/api/v1/residents/lookup", json={"id_number": world.people_a[0]})
    assert r.status_code == 401 and r.json()["error"]["message"]
    r = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401


def test_login_bad_input_is_422(world: World, client: TestClient) -> None:
    r = client.post("/api/v1/auth/login", json={"username": "admin"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "missing_input"
    assert "密码" in r.json()["error"]["message"]


def test_auth_cache_holds_a_revoked_token_at_most_its_ttl(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urrbmi.interfaces.api import deps

    clock = [1000.0]  # a fake monotonic clock: no sleeping, no timing flakes under load
    monkeypatch.setattr(deps, "monotonic", lambda: clock[0])
    monkeypatch.setenv("URRBMI_AUTH_CACHE_SECONDS", "1")
    h = world.auth("town_b")
    assert client.get("/api/v1/auth/me", headers=h).status_code == 200
    with session_scope(world.engine) as s:
        s.execute(update(ApiSession).values(revoked=True))
    clock[0] += 0.9
    assert client.get("/api/v1/auth/me", headers=h).status_code == 200  # cached
    clock[0] += 0.2
    assert client.get("/api/v1/auth/me", headers=h).status_code == 401
    # logout evicts at once
    tok = client.post(
        "/api/v1/auth/login", json={"username": "town_a", "password": PASSWORD, "kind": "token"}
    ).json()["token"]
    h2 = {"Authorization": f"Bearer {tok}"}
    assert client.get("/api/v1/auth/me", headers=h2).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=h2).status_code == 204
    assert client.get("/api/v1/auth/me", headers=h2).status_code == 401
