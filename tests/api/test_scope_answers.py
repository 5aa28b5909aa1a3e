"""Answers that must not depend on where a record lies: registering a taken ID number, and the
duplicates list (scoped in SQL, whole for the county)."""

from __future__ import annotations

from apiworld import AS_OF, World
from fastapi.testclient import TestClient

from urrbmi.campaign.changes import record_external_enrollment
from urrbmi.db.session import session_scope


def test_registering_a_taken_id_answers_alike_inside_and_outside_the_scope(
    world: World, client: TestClient
) -> None:
    h = world.auth("town_a")
    answers = []
    for taken in (world.people_a[0], world.people_b[0]):  # registered in town A / in town B
        r = client.post(
            "/api/v1/residents",
            json={"id_number": taken, "name": "某某", "region_code": "500114001001"},
            headers=h,
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "conflict", r.text
        answers.append(r.content)
    assert answers[0] == answers[1]  # not even the masked number: the same bytes
    assert "500114002" not in answers[1].decode() and "城东" not in answers[1].decode()


def test_duplicates_in_scope_only_and_whole_for_the_county(world: World, client: TestClient) -> None:
    with session_scope(world.engine) as s:
        for n in (world.people_a[1], world.people_b[1]):
            for region in ("500230", "652301"):  # enrolled in two other places for 2022
                record_external_enrollment(s, n, 2022, region, enrolled_on=AS_OF, actor="t")
    url = f"/api/v1/campaigns/{world.campaign_id}/duplicates"
    r = client.get(url, headers=world.auth("officer"))
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == 2
    assert client.get(url, headers=world.auth("town_a")).status_code == 403  # the county's, not a town's
