"""Integer ids in paths are bounded (issue 13, class 4): generated over the route table, so a new
endpoint with an integer id cannot skip the bound. Out of range is the standard bilingual 422
naming the parameter, never a server error (2**63 overflowed the database driver: 500)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from apiworld import World
from fastapi.testclient import TestClient

from urrbmi.interfaces.api import create_app


def _int_path_routes() -> list[tuple[str, str, list[str]]]:
    """(method, path, integer path parameters) of every operation in the OpenAPI document."""
    doc = create_app("sqlite://").openapi()
    out = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            names = [
                p["name"]
                for p in op.get("parameters", [])
                if p["in"] == "path" and p.get("schema", {}).get("type") == "integer"
            ]
            if names:
                out.append((method.upper(), path, names))
    return out


ROUTES = _int_path_routes()


def test_the_route_table_has_integer_ids() -> None:
    # the generated test below is not vacuous
    assert len(ROUTES) >= 20
    assert {n for _, _, names in ROUTES for n in names} >= {"campaign_id", "resident_id", "item_id"}


@pytest.mark.parametrize("bad", [2**63, -1, 0])
def test_every_integer_path_id_is_bounded(world: World, client: TestClient, bad: int) -> None:
    failures: list[str] = []
    for method, path, names in ROUTES:
        for name in names:
            values: dict[str, Any] = {n: 1 for n in names}
            values[name] = bad

            def fill(m: re.Match[str], v: dict[str, Any] = values) -> str:
                return str(v.get(m.group(1), "x"))

            url = re.sub(r"\{(\w+)\}", fill, path)
            r = client.request(method, url, headers=world.auth("admin"), json={})
            body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
            err = body.get("error", {})
            ok = (
                r.status_code == 422
                and name in err.get("message_en", "")
                and name in err.get("message", "")
                and err.get("code") == "invalid_input"
            )
            if not ok:
                failures.append(f"{method} {url}: {r.status_code} {r.text[:160]}")
    assert not failures, "\n".join(failures)
