"""Regions over the API: the scope's subtree only; adding regions is the administrator's."""

from __future__ import annotations

from apiworld import World
from fastapi.testclient import TestClient


def test_regions_listed_within_scope(world: World, client: TestClient) -> None:
    r = client.get("/api/v1/regions?limit=100", headers=world.auth("officer"))
    assert r.status_code == 200, r.text
    codes = {x["code"] for x in r.json()["items"]}
    assert {"500114", "500114001", "500114002001"} <= codes and "500230" not in codes
    r = client.get("/api/v1/regions", headers=world.auth("town_a"))
    assert {x["code"] for x in r.json()["items"]} == {"500114001", "500114001001"}
    r = client.get("/api/v1/regions?under=500114002", headers=world.auth("town_a"))
    assert r.status_code == 403
    r = client.get("/api/v1/regions?limit=1", headers=world.auth("officer"))
    assert len(r.json()["items"]) == 1 and r.json()["has_more"] is True
    assert client.get("/api/v1/regions", headers=world.auth("uploader")).status_code == 403
    assert client.get("/api/v1/regions?under=abc", headers=world.auth("officer")).status_code == 422


def test_add_region(world: World, client: TestClient) -> None:
    body = {"code": "500114001002", "name": "新村", "level": "village", "parent_code": "500114001"}
    r = client.post("/api/v1/regions", json=body, headers=world.auth("admin"))
    assert r.status_code == 201 and r.json()["name"] == "新村"
    assert client.post("/api/v1/regions", json=body, headers=world.auth("admin")).status_code == 409
    r = client.post(
        "/api/v1/regions",
        json=body | {"code": "500230108001", "parent_code": "500230108"},
        headers=world.auth("admin"),
    )
    assert r.status_code == 403  # Fengdu is not the admin's county
    assert (
        client.post(
            "/api/v1/regions", json=body | {"code": "500114001003"}, headers=world.auth("officer")
        ).status_code
        == 403
    )
    r = client.post("/api/v1/regions", json=body | {"level": "galaxy"}, headers=world.auth("admin"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
