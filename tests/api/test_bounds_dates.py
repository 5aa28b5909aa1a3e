"""Dates a user enters are bounded (1900-01-01 … 2100-12-31, ``common.Day``), generated over the
route table: every date query parameter and every date field of the API's request bodies. Out of
range is the standard bilingual 422 naming the field, never an overflow in date arithmetic (the
old code answered 500 to ``funding?on=9999-12-31`` and to assessing ``as_of`` 9999-12-31, and
stored identities valid from 0001-01-01)."""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Callable
from typing import Any

import pytest
from apiworld import World
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from urrbmi.interfaces.api import create_app

# payment dates belong to the payment guards (counter payments, channel notifications): not here
ELSEWHERE = {("PaymentIn", "paid_on"), ("ChannelNotification", "paid_on")}
BAD = ("0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01")


def _is_date(annotation: Any) -> bool:
    if annotation is dt.date:
        return True
    return any(_is_date(a) for a in typing.get_args(annotation) if a is not type(None))


def _routes() -> list[APIRoute]:
    return [
        c.route for c in iter_route_contexts(create_app("sqlite://").routes) if isinstance(c.route, APIRoute)
    ]


def _date_queries() -> list[tuple[str, str, str]]:
    out = []
    for r in _routes():
        for p in r.dependant.query_params:
            if _is_date(p.field_info.annotation):
                out.append((sorted(r.methods or ())[0], r.path, p.name))
    return out


def _body_models() -> dict[str, type[BaseModel]]:
    out: dict[str, type[BaseModel]] = {}
    for r in _routes():
        for p in r.dependant.body_params:
            model = p.field_info.annotation
            if (
                isinstance(model, type)
                and model.__module__.startswith("urrbmi.interfaces.api")
                and issubclass(model, BaseModel)
            ):
                out[model.__name__] = model
    return out


QUERIES = _date_queries()
MODELS = _body_models()


def test_the_route_table_has_dates() -> None:
    assert len(QUERIES) >= 8
    dated = {
        (m, f) for m, model in MODELS.items() for f, i in model.model_fields.items() if _is_date(i.annotation)
    }
    assert {("AssessIn", "as_of"), ("IdentityIn", "valid_from"), ("OnIn", "on")} <= dated


def _not_refused(
    world: World, client: TestClient, bad: str, refused: Callable[[str, dict[str, str]], bool]
) -> list[str]:
    """Every date query parameter of the route table given ``bad``: the calls whose answer is
    not a 422 that ``refused(name, error)`` accepts."""
    failures = []
    for method, path, name in QUERIES:
        url = re.sub(r"\{\w+\}", "1", path.replace("{campaign_id}", str(world.campaign_id)))
        r = client.request(method, url, params={name: bad}, headers=world.auth("admin"), json={})
        err = (
            r.json().get("error", {})
            if r.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        if not (r.status_code == 422 and refused(name, err)):
            failures.append(f"{method} {url}?{name}={bad}: {r.status_code} {r.text[:160]}")
    return failures


@pytest.mark.parametrize("bad", BAD)
def test_every_date_query_parameter_is_bounded(world: World, client: TestClient, bad: str) -> None:
    failures = _not_refused(
        world, client, bad, lambda name, err: name in err.get("message_en", "") and bool(err.get("message"))
    )
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("bad", BAD)
def test_every_date_in_a_request_body_is_bounded(bad: str) -> None:
    failures = []
    for name, model in MODELS.items():
        for field, info in model.model_fields.items():
            if not _is_date(info.annotation) or (name, field) in ELSEWHERE:
                continue
            try:
                model.model_validate({field: bad})
                failures.append(f"{name}.{field}={bad} accepted")
            except ValidationError as exc:
                mine = [e for e in exc.errors() if e["loc"] == (field,)]
                if not mine or mine[0]["type"] not in ("greater_than_equal", "less_than_equal"):
                    failures.append(f"{name}.{field}={bad}: {exc.errors()[:2]}")
    assert not failures, "\n".join(failures)


def test_a_date_far_ahead_is_a_bilingual_422_not_a_server_error(world: World, client: TestClient) -> None:
    h = world.auth("admin")
    cid = world.campaign_id
    for method, url, kw in (
        ("GET", f"/api/v1/campaigns/{cid}/funding?on=9999-12-31", {}),
        ("POST", f"/api/v1/campaigns/{cid}/assess", {"json": {"as_of": "9999-12-31"}}),
    ):
        r = client.request(method, url, headers=h, **kw)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["error"]["code"] == "invalid_input"


def test_the_cli_bounds_its_dates_the_same_way() -> None:
    from urrbmi.errors import InvalidInput
    from urrbmi.interfaces.cli_common import parse_day as _day

    assert _day("2100-12-31") == dt.date(2100, 12, 31)
    for bad in BAD:
        with pytest.raises(InvalidInput) as exc:
            _day(bad)
        assert bad in exc.value.zh and bad in exc.value.en


# what pydantic alone reads as a day but the OpenAPI document (format: date) does not admit, or
# no day at all: seconds since 1970, a datetime, another separator, a month 13
BAD_FORMS = ("0", "1700000000", "2021-12-01T00:00:00", "2021/12/01", "2021-13-01")


@pytest.mark.parametrize("bad", BAD_FORMS)
def test_every_date_query_parameter_is_written_year_month_day(
    world: World, client: TestClient, bad: str
) -> None:
    failures = _not_refused(
        world,
        client,
        bad,
        lambda name, err: (
            "年-月-日" in err.get("message", "")
            and f"invalid {name}: a date is written YYYY-MM-DD" in err.get("message_en", "")
        ),
    )
    assert not failures, "\n".join(failures)
    body = MODELS["AssessIn"]
    with pytest.raises(ValidationError):
        body.model_validate({"as_of": bad})
