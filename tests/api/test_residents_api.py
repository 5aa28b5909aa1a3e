"""Residents over the API: statements, lists, registration, optimistic edits, identities, history,
and the region scope (403 with nothing leaked) on SQLite and PostgreSQL."""

from __future__ import annotations

import logging

import pytest
from apiworld import World
from fastapi.testclient import TestClient
from sqlalchemy import select

from urrbmi import ids
from urrbmi.db.models import AuditLog, Resident
from urrbmi.db.session import session_scope

LOOKUP = "/api/v1/residents/lookup"


def rid(world: World, number: str) -> int:
    with session_scope(world.engine) as s:
        return int(s.scalars(select(Resident.id).where(Resident.id_number == number)).one())


def name_of(world: World, number: str) -> str:
    with session_scope(world.engine) as s:
        return str(s.scalars(select(Resident.name).where(Resident.id_number == number)).one())


def assert_nothing_leaked(world: World, text: str, number: str) -> None:
    assert number not in text
    assert ids.mask(number) not in text
    assert name_of(world, number) not in text


def test_lookup_statement_masked_for_agent_full_for_officer(world: World, client: TestClient) -> None:
    n = world.people_a[0]
    r = client.post(LOOKUP, json={"id_number": n}, headers=world.auth("agent_a"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id_number"] == ids.mask(n) and n not in r.text
    assert body["campaigns"][0]["assessment"] == "due" and body["identities_now"] == ["低保对象"]
    r = client.post(LOOKUP, json={"id_number": n}, headers=world.auth("officer"))
    assert r.json()["id_number"] == n


@pytest.mark.parametrize("user", ["agent_a", "town_a"])
def test_lookup_outside_scope_is_403_and_same_as_unknown(world: World, client: TestClient, user: str) -> None:
    elsewhere = world.people_b[0]
    r = client.post(LOOKUP, json={"id_number": elsewhere}, headers=world.auth(user))
    assert r.status_code == 403
    assert_nothing_leaked(world, r.text, elsewhere)
    unknown = ids.make("500114", __import__("datetime").date(1990, 5, 5), 777)
    r2 = client.post(LOOKUP, json={"id_number": unknown}, headers=world.auth(user))
    assert r2.status_code == 403 and r2.json() == r.json()  # existence does not leak


@pytest.mark.parametrize("user", ["uploader", "finance"])
def test_roles_without_resident_access_are_refused(world: World, client: TestClient, user: str) -> None:
    n = world.people_a[0]
    r = client.post(LOOKUP, json={"id_number": n}, headers=world.auth(user))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert_nothing_leaked(world, r.text, n)
    r = client.get(f"/api/v1/residents/{rid(world, n)}", headers=world.auth(user))
    assert r.status_code == 403
    assert_nothing_leaked(world, r.text, n)


def test_lookup_bad_input(world: World, client: TestClient) -> None:
    r = client.post(LOOKUP, json={"id_number": "50011419800101001X"}, headers=world.auth("officer"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_id"
    assert "校验位" in r.json()["error"]["message"] or "身份证" in r.json()["error"]["message"]
    r = client.post(LOOKUP, json={}, headers=world.auth("officer"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "missing_input"
    assert "身份证号码" in r.json()["error"]["message"]
    r = client.post(LOOKUP, json={"id_number": world.people_a[0], "extra": 1}, headers=world.auth("officer"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"


def test_get_by_internal_id_is_scoped(world: World, client: TestClient) -> None:
    a, b = rid(world, world.people_a[1]), rid(world, world.people_b[1])
    assert client.get(f"/api/v1/residents/{a}", headers=world.auth("town_a")).status_code == 200
    r = client.get(f"/api/v1/residents/{b}", headers=world.auth("town_a"))
    assert r.status_code == 403
    assert_nothing_leaked(world, r.text, world.people_b[1])
    r2 = client.get("/api/v1/residents/99999999", headers=world.auth("town_a"))
    assert r2.status_code == 403 and r2.json() == r.json()
    assert client.get("/api/v1/residents/abc", headers=world.auth("town_a")).status_code == 422


def test_list_is_scoped_masked_and_paged(world: World, client: TestClient) -> None:
    r = client.get("/api/v1/residents?limit=2", headers=world.auth("town_a"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["items"]) == 2 and body["has_more"] is True
    r = client.get("/api/v1/residents?limit=50", headers=world.auth("town_a"))
    items = r.json()["items"]
    assert {i["region_code"] for i in items} == {"500114001001"} and len(items) == 3
    for n in world.people_a + world.people_b:
        assert n not in r.text
    for n in world.people_b:
        assert name_of(world, n) not in r.text or name_of(world, n) in [
            name_of(world, x) for x in world.people_a
        ]
    r = client.get("/api/v1/residents?region=500114002", headers=world.auth("town_a"))
    assert r.status_code == 403
    r = client.get("/api/v1/residents?limit=0", headers=world.auth("town_a"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    r = client.get("/api/v1/residents?limit=100000", headers=world.auth("officer"))
    assert r.status_code == 422


def new_person(seq: int = 501) -> str:
    import datetime as dt

    return ids.make("500114", dt.date(1985, 3, 3), seq)


def test_register_in_scope_and_refused_outside(world: World, client: TestClient) -> None:
    n = new_person()
    body = {"id_number": n, "name": "新居民", "region_code": "500114001001", "identities": ["特困人员"]}
    r = client.post("/api/v1/residents", json=body, headers=world.auth("town_a"))
    assert r.status_code == 201, r.text
    assert r.json()["identities_now"] == ["特困人员"] and r.json()["id_number"] == ids.mask(n)
    # again: conflict
    r = client.post("/api/v1/residents", json=body, headers=world.auth("town_a"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    # into the other town: refused before anything is written
    n2 = new_person(503)
    r = client.post(
        "/api/v1/residents",
        json=body | {"id_number": n2, "region_code": "500114002001"},
        headers=world.auth("town_a"),
    )
    assert r.status_code == 403
    with session_scope(world.engine) as s:
        assert s.scalars(select(Resident).where(Resident.id_number == n2)).first() is None
    # an agent may not register at all
    r = client.post("/api/v1/residents", json=body | {"id_number": n2}, headers=world.auth("agent_a"))
    assert r.status_code == 403
    r = client.post("/api/v1/residents", json=body | {"id_number": "123"}, headers=world.auth("town_a"))
    assert r.status_code == 422


def test_patch_with_row_version(world: World, client: TestClient) -> None:
    n = world.people_a[2]
    key = rid(world, n)
    h = world.auth("town_a")
    v = client.get(f"/api/v1/residents/{key}", headers=h).json()["row_version"]
    r = client.patch(
        f"/api/v1/residents/{key}", json={"row_version": v, "name": "改名", "reason": "更正"}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "改名" and r.json()["row_version"] == v + 1
    # a second edit based on the old version is stale
    r = client.patch(f"/api/v1/residents/{key}", json={"row_version": v, "name": "又改"}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "stale_version"
    # moving the resident out of one's scope is refused
    r = client.patch(
        f"/api/v1/residents/{key}", json={"row_version": v + 1, "region_code": "500114002001"}, headers=h
    )
    assert r.status_code == 403
    # history shows the earlier version, masked for a township officer
    hist = client.get(f"/api/v1/residents/{key}/history", headers=h)
    assert hist.status_code == 200 and hist.json()["items"][0]["data"]["name"] != "改名"
    assert n not in hist.text
    # outside scope
    other = rid(world, world.people_b[2])
    r = client.patch(f"/api/v1/residents/{other}", json={"row_version": 1, "name": "x"}, headers=h)
    assert r.status_code == 403
    assert_nothing_leaked(world, r.text, world.people_b[2])
    assert client.get(f"/api/v1/residents/{other}/history", headers=h).status_code == 403
    r = client.patch(f"/api/v1/residents/{key}", json={"name": "x"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "missing_input"


def test_identities_add_and_end(world: World, client: TestClient) -> None:
    key = rid(world, world.people_a[1])
    h = world.auth("town_a")
    r = client.post(
        f"/api/v1/residents/{key}/identities",
        json={"category": "低保对象", "valid_from": "2021-01-01"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"/api/v1/residents/{key}/identities/end",
        json={"category": "低保对象", "valid_to": "2021-06-30"},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["count"] == 1
    r = client.post(
        f"/api/v1/residents/{key}/identities",
        json={"category": "不存在的身份", "valid_from": "2021-01-01"},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_category"
    other = rid(world, world.people_b[1])
    r = client.post(
        f"/api/v1/residents/{other}/identities",
        json={"category": "低保对象", "valid_from": "2021-01-01"},
        headers=h,
    )
    assert r.status_code == 403
    # agents cannot change identities
    r = client.post(
        f"/api/v1/residents/{key}/identities",
        json={"category": "低保对象", "valid_from": "2021-01-01"},
        headers=world.auth("agent_a"),
    )
    assert r.status_code == 403


def test_external_enrollment(world: World, client: TestClient) -> None:
    key = rid(world, world.people_a[1])
    body = {"benefit_year": 2022, "region_code": "500230", "insurance_type": "390"}
    r = client.post(f"/api/v1/residents/{key}/external-enrollments", json=body, headers=world.auth("officer"))
    assert r.status_code == 201, r.text
    other = rid(world, world.people_b[1])
    r = client.post(
        f"/api/v1/residents/{other}/external-enrollments", json=body, headers=world.auth("town_a")
    )
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/residents/{key}/external-enrollments",
        json=body | {"insurance_type": "999"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 422


def test_writes_are_audited_with_the_api_user(world: World, client: TestClient) -> None:
    key = rid(world, world.people_a[0])
    r = client.patch(
        f"/api/v1/residents/{key}",
        json={"row_version": 1, "household_id": "H1"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 200, r.text
    with session_scope(world.engine) as s:
        row = s.scalars(
            select(AuditLog).where(AuditLog.table_name == "residents", AuditLog.action == "update")
        ).one()
        assert row.actor == "api:officer"


def test_request_logs_never_contain_full_ids(
    world: World, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    n = world.people_a[0]
    with caplog.at_level(logging.DEBUG):
        client.post(LOOKUP, json={"id_number": n}, headers=world.auth("officer"))
        client.get(f"/api/v1/residents?region={n}", headers=world.auth("officer"))  # a client's mistake
        client.get(f"/api/v1/nothing/{n}", headers=world.auth("officer"))
    # the server's logs (httpx's lines are the test client's own)
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "/api/v1/residents/lookup" in text  # the request log is there ...
    assert n not in text  # ... without the ID
    assert ids.mask(n) in text


def test_patch_sets_the_facts_of_the_routes(world: World, client: TestClient) -> None:
    """Issue 14 item 2: the end of employee insurance (濉溪 六（四）, 丰都 四（三）: takes the resident
    out of it), the graduation year (丰都 三（三）) and the returning-migrant year (濉溪 五) by API."""
    n = world.people_a[-1]
    key = rid(world, n)
    h = world.auth("town_a")
    v = client.get(f"/api/v1/residents/{key}", headers=h).json()["row_version"]
    body = {
        "row_version": v,
        "employee_insurance_ended_on": "2022-01-31",
        "employee_insurance_years": 5,
        "graduation_year": 2022,
        "returning_migrant_year": 2022,
    }
    r = client.patch(f"/api/v1/residents/{key}", json=body, headers=h)
    assert r.status_code == 200, r.text
    with session_scope(world.engine) as s:
        got = s.get(Resident, key)
        assert got is not None and not got.employee_insured
        assert (got.employee_insurance_years, got.graduation_year, got.returning_migrant_year) == (
            5,
            2022,
            2022,
        )
    r = client.patch(
        f"/api/v1/residents/{key}", json={"row_version": v + 1, "graduation_year": 22}, headers=h
    )
    assert r.status_code == 422
