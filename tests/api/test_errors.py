"""Error classes carry their HTTP status: every UrrbmiError subclass in the package names its own
(none falls through to a default), the statuses the API has always answered are kept, and the
API answers with the class's status."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import urrbmi
from urrbmi.errors import UrrbmiError
from urrbmi.interfaces.api import errors

# What the API answered before statuses moved onto the classes (by code; everything else was 422).
KEPT = {
    "unknown_policy": 404,
    "not_found": 404,
    "policy_gap": 409,
    "conflict": 409,
    "policy_changed": 409,
    "forbidden": 403,
    "csrf_failed": 403,
    "source_not_allowed": 403,
    "unauthorized": 401,
    "bad_signature": 401,
    "rate_limited": 429,
}
OPTIONAL = {"pyspark"}  # modules of optional extras the package may import
SCRIPTS = {"urrbmi.__main__", "urrbmi.db.migrations.env"}  # run, not imported


def _all_subclasses() -> list[type[UrrbmiError]]:
    for info in pkgutil.walk_packages(urrbmi.__path__, "urrbmi."):
        if info.name in SCRIPTS or ".migrations.versions." in info.name:
            continue
        try:
            importlib.import_module(info.name)
        except ModuleNotFoundError as exc:
            if exc.name is None or exc.name.split(".")[0] not in OPTIONAL:
                raise
    seen: list[type[UrrbmiError]] = []
    todo = list(UrrbmiError.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.append(cls)
            todo.extend(cls.__subclasses__())
    return seen


def test_every_error_class_names_its_status() -> None:
    classes = [c for c in _all_subclasses() if c.__module__.startswith("urrbmi.")]
    assert len(classes) >= 20  # the walk found the package's errors, not just a few
    missing = [f"{c.__module__}.{c.__qualname__}" for c in classes if "http_status" not in vars(c)]
    assert missing == [], "set http_status on these error classes"
    for c in classes:
        assert 400 <= c.http_status <= 599, c


def test_existing_statuses_kept() -> None:
    by_code = {c.code: c.http_status for c in _all_subclasses()}
    assert {code: by_code[code] for code in KEPT} == KEPT
    # a code given per instance keeps its class's status
    from urrbmi.registry.errors import Conflict

    assert Conflict("改", "changed", code="stale_version").http_status == 409


def test_the_api_answers_with_the_class_status() -> None:
    class Teapot(UrrbmiError):
        code = "teapot"
        http_status = 418

    app = FastAPI()
    errors.install(app)

    @app.get("/x")
    def x() -> None:
        raise Teapot("我是茶壶", "I am a teapot")

    r = TestClient(app).get("/x")
    assert r.status_code == 418
    assert r.json() == {"error": {"code": "teapot", "message": "我是茶壶", "message_en": "I am a teapot"}}


@pytest.mark.parametrize(("status", "header"), [(401, "Bearer"), (409, None)])
def test_unauthorized_asks_for_a_bearer_token(status: int, header: str | None) -> None:
    class E(UrrbmiError):
        code = "e"
        http_status = status

    app = FastAPI()
    errors.install(app)

    @app.get("/x")
    def x() -> None:
        raise E("错", "wrong")

    r = TestClient(app).get("/x")
    assert (r.status_code, r.headers.get("WWW-Authenticate")) == (status, header)
