"""The audit log read through a region scope (urrbmi.registry.audit.query), on SQLite and
PostgreSQL: a town sees the rows about its own residents, users and payments only; a county sees
its own and the rows that belong to no place, not another county's."""

from __future__ import annotations

from dbfixtures import ACTOR, add_people, setup_regions
from sqlalchemy import Engine

from urrbmi.access.accounts import create_user
from urrbmi.db.session import session_scope
from urrbmi.registry import audit
from urrbmi.registry.regions import add_region
from urrbmi.registry.residents import find_resident, update_resident

TOWN_A, TOWN_B = "500114001", "500114002"


def world(engine: Engine) -> tuple[list[str], list[str]]:
    setup_regions(engine)
    with session_scope(engine) as s:
        add_region(s, TOWN_B, "城东街道", "town", "500114", actor=ACTOR)
        add_region(s, TOWN_B + "001", "城东社区", "village", TOWN_B, actor=ACTOR)
    a = add_people(engine, TOWN_A + "001", "500114", 2)
    b = add_people(engine, TOWN_B + "001", "500114", 2, start_year=1970)
    with session_scope(engine) as s:
        create_user(s, "agent_a", "long enough password", "village_agent", TOWN_A + "001", actor=ACTOR)
        create_user(s, "agent_b", "long enough password", "village_agent", TOWN_B + "001", actor=ACTOR)
        create_user(s, "fengdu", "long enough password", "township_officer", "500230108", actor=ACTOR)
        audit.record(s, ACTOR, "payments", "batch:no-such-batch", "import", None, {"lines": 0})
    return a, b


def keys(engine: Engine, scope: str, table: str | None = None) -> set[tuple[str, str]]:
    with session_scope(engine) as s:
        return {(r.table_name, r.row_key) for r in audit.query(s, scope=scope, table=table, limit=1000)}


def ids_of(engine: Engine, numbers: list[str]) -> set[str]:
    with session_scope(engine) as s:
        return {str(find_resident(s, n).id) for n in numbers}  # type: ignore[union-attr]


def test_a_town_sees_its_own_rows_only(engine: Engine) -> None:
    a, b = world(engine)
    town_a = keys(engine, TOWN_A)
    residents = {k for t, k in town_a if t == "residents"}
    assert residents == ids_of(engine, a)
    assert not residents & ids_of(engine, b)
    assert {k for t, k in town_a if t == "regions"} == {TOWN_A, TOWN_A + "001"}
    assert len({k for t, k in town_a if t == "users"}) == 1  # agent_a
    assert ("payments", "batch:no-such-batch") not in town_a  # belongs to no place: county only


def test_a_county_sees_rows_of_no_place_but_not_another_county(engine: Engine) -> None:
    a, b = world(engine)
    county = keys(engine, "500114")
    assert ("payments", "batch:no-such-batch") in county
    assert {k for t, k in county if t == "residents"} == ids_of(engine, a) | ids_of(engine, b)
    assert ("regions", "500230108") not in county  # Fengdu's
    assert len({k for t, k in county if t == "users"}) == 2  # not Fengdu's officer
    assert ("payments", "batch:no-such-batch") in keys(engine, "")  # the CLI: everything


def test_a_resident_who_moves_takes_the_history_along(engine: Engine) -> None:
    _, b = world(engine)
    with session_scope(engine) as s:
        update_resident(s, b[0], {"region_code": TOWN_A + "001"}, actor=ACTOR)
    moved = ids_of(engine, [b[0]]).pop()
    assert {("residents", moved)} <= keys(engine, TOWN_A, "residents")
    assert ("residents", moved) not in keys(engine, TOWN_B, "residents")
