"""A disabled user's token (or one whose password was reset) is refused at once by the worker that
made the change, and by every other worker within the token cache's lifetime
(``URRBMI_AUTH_CACHE_SECONDS``), with the cache on. Two apps over one database stand for two
workers; a fake clock stands for time (no sleeping)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apiworld import PASSWORD, World
from fastapi.testclient import TestClient

from urrbmi.access.accounts import disable_user, login, resolve, token_hash
from urrbmi.db.session import session_scope
from urrbmi.interfaces.api import create_app, deps

ME = "/api/v1/auth/me"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(deps, "monotonic", lambda: now[0])
    monkeypatch.setenv("URRBMI_AUTH_CACHE_SECONDS", "5")
    return now


@pytest.fixture
def workers(world: World, clock: list[float]) -> Iterator[tuple[TestClient, TestClient]]:
    with TestClient(create_app(world.url)) as one, TestClient(create_app(world.url)) as two:
        yield one, two


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def fresh_token(world: World, username: str) -> str:
    return login(world.engine, username, PASSWORD, "token").token


@pytest.mark.parametrize("change", ["disable", "password"])
def test_change_takes_effect_at_once_here_and_within_the_ttl_elsewhere(
    world: World, workers: tuple[TestClient, TestClient], clock: list[float], change: str
) -> None:
    one, two = workers
    h = bearer(fresh_token(world, "agent_b"))
    assert one.get(ME, headers=h).status_code == 200  # both workers now hold it in their cache
    assert two.get(ME, headers=h).status_code == 200
    url = f"/api/v1/users/agent_b/{change}"
    body = {"password": "a brand new password"} if change == "password" else None
    assert one.post(url, json=body, headers=world.auth("admin")).status_code == 200
    r = one.get(ME, headers=h)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"  # this worker: at once
    clock[0] += 4.9
    assert two.get(ME, headers=h).status_code == 200  # the other worker still has it cached ...
    clock[0] += 0.2
    assert two.get(ME, headers=h).status_code == 401  # ... for at most the cache's lifetime


def test_cli_style_disable_is_seen_within_the_ttl(
    world: World, workers: tuple[TestClient, TestClient], clock: list[float]
) -> None:
    one, _ = workers
    h = bearer(fresh_token(world, "town_b"))
    assert one.get(ME, headers=h).status_code == 200
    with session_scope(world.engine) as s:  # what `urrbmi user disable` does, in another process
        disable_user(s, "town_b", actor="cli")
    clock[0] += 5.1
    assert one.get(ME, headers=h).status_code == 401


def test_an_answer_read_before_the_change_is_not_cached_after_it(world: World, clock: list[float]) -> None:
    """A request that read the user before the disable committed must not put the old answer back
    into the cache after the eviction."""
    token = fresh_token(world, "agent_a")
    cache = deps.TokenCache()
    with session_scope(world.engine) as s:
        before = resolve(s, token)
    generation = cache.generation  # the slow request started here ...
    cache.forget_users({before.principal.user_id})  # ... the disable committed and evicted ...
    cache.put(token_hash(token), clock[0] + 5, before, generation)  # ... then it tried to cache
    assert cache.get(token_hash(token), clock[0]) is None
