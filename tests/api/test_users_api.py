"""Account management over the API: administrators only, inside their scope."""

from __future__ import annotations

from apiworld import PASSWORD, World
from fastapi.testclient import TestClient


def test_admin_lists_creates_disables_resets(world: World, client: TestClient) -> None:
    h = world.auth("admin")
    r = client.get("/api/v1/users?limit=50", headers=h)
    assert r.status_code == 200, r.text
    assert {u["username"] for u in r.json()["items"]} >= {"admin", "agent_a", "town_b"}
    assert "password" not in r.text and "argon2" not in r.text
    body = {
        "username": "agent_c",
        "password": "another long one",
        "role": "village_agent",
        "region_code": "500114001001",
    }
    r = client.post("/api/v1/users", json=body, headers=h)
    assert r.status_code == 201 and r.json()["role_zh"] == "村（社区）代办员"
    assert client.post("/api/v1/users", json=body, headers=h).status_code == 409
    login = client.post(
        "/api/v1/auth/login", json={"username": "agent_c", "password": "another long one", "kind": "token"}
    )
    assert login.status_code == 200
    r = client.post("/api/v1/users/agent_c/disable", headers=h)
    assert r.status_code == 200 and r.json()["disabled"] is True
    tok = login.json()["token"]
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tok}"}).status_code == 401
    r = client.post("/api/v1/users/agent_c/password", json={"password": "a new long password"}, headers=h)
    assert r.status_code == 200 and r.json()["disabled"] is False
    # outside the admin's county / unknown user: the same 403
    r1 = client.post("/api/v1/users", json=body | {"username": "x1", "region_code": "500230108"}, headers=h)
    r2 = client.post("/api/v1/users/nobody/disable", headers=h)
    assert r1.status_code == r2.status_code == 403
    # bad input
    r = client.post("/api/v1/users", json=body | {"username": "x2", "password": "short"}, headers=h)
    assert r.status_code == 422 and "密码" in r.json()["error"]["message"]
    r = client.post("/api/v1/users", json=body | {"username": "x3", "role": "king"}, headers=h)
    assert r.status_code == 422


def test_non_admins_cannot_manage_accounts(world: World, client: TestClient) -> None:
    for user in ("officer", "town_a", "agent_a", "uploader", "auditor", "finance"):
        assert client.get("/api/v1/users", headers=world.auth(user)).status_code == 403
        r = client.post(
            "/api/v1/users/agent_a/password", json={"password": PASSWORD + "x"}, headers=world.auth(user)
        )
        assert r.status_code == 403
