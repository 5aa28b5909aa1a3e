"""The OpenAPI contract: every JSON answer has a typed response model (no endpoint returns an
untyped object), files declare their media types, and money leaves as an exact JSON number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from urrbmi.interfaces.api import create_app
from urrbmi.interfaces.api.schemas import exact_number, json_number
from urrbmi.interfaces.api.targets import FundingOut, IncentiveOut
from urrbmi.targets.incentive import IncentiveLine
from urrbmi.targets.reports import FundingLine, FundingReport

# Objects whose keys are data, not contract: an audit row's before/after, a resident's earlier
# version.
OPEN = {
    "GET /api/v1/audit>AuditPage.items[]>AuditOut.old",
    "GET /api/v1/audit>AuditPage.items[]>AuditOut.new",
    "GET /api/v1/residents/{resident_id}/history>HistoryPage.items[]>HistoryOut.data",
}


def _untyped(
    schema: dict[str, Any], where: str, comps: dict[str, Any], seen: frozenset[str]
) -> Iterator[str]:
    """Places in a response schema that say nothing: an object without properties or value type."""
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        if name not in seen:
            yield from _untyped(comps[name], f"{where}>{name}", comps, seen | {name})
        return
    if not schema:
        yield where
    if schema.get("type") == "object" and "properties" not in schema:
        extra = schema.get("additionalProperties")
        if extra in (None, True, {}):
            yield where
        elif isinstance(extra, dict):
            yield from _untyped(extra, where + "{}", comps, seen)
    for key, sub in (schema.get("properties") or {}).items():
        yield from _untyped(sub, f"{where}.{key}", comps, seen)
    if "items" in schema:
        yield from _untyped(schema["items"], where + "[]", comps, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _untyped(sub, where, comps, seen)


def test_every_answer_is_typed() -> None:
    spec = create_app("sqlite://").openapi()
    comps = spec["components"]["schemas"]
    untyped, no_content, operations = [], [], 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if not path.startswith("/api/v1/"):
                continue
            operations += 1
            for status, answer in op["responses"].items():
                if not status.startswith("2") or status == "204":
                    continue
                content = answer.get("content") or {}
                if not content or any(not c.get("schema") for c in content.values()):
                    no_content.append(f"{method.upper()} {path}")
                if "application/json" in content:
                    schema = content["application/json"]["schema"]
                    untyped += [w for w in _untyped(schema, f"{method.upper()} {path}", comps, frozenset())]
    assert operations >= 50
    assert no_content == []
    assert [w for w in untyped if w not in OPEN] == []


def test_money_is_an_exact_json_number() -> None:
    assert (exact_number(Decimal("35")), exact_number(Decimal("320.00")), exact_number(Decimal("0.1"))) == (
        35,
        320.0,
        0.1,
    )
    assert isinstance(exact_number(Decimal("35")), int) and isinstance(exact_number(Decimal("35.00")), float)
    assert exact_number(Decimal("9999999999999.99")) == 9999999999999.99
    with pytest.raises(ValueError, match="more digits"):
        exact_number(Decimal("12345678901234567.89"))  # a float would round it
    assert json_number(Decimal(1) / Decimal(3)) == 1 / 3  # a rate: double precision


def test_reports_serialise_through_their_models() -> None:
    lines = (
        IncentiveLine("濉溪镇", 2, 4, 2, Decimal("10.00")),
        IncentiveLine("百善镇", 1, 1, 0, Decimal("0")),
    )
    body = IncentiveOut.model_validate({"lines": lines}).model_dump(mode="json")
    assert body == {
        "lines": [
            {"region": "濉溪镇", "task": 2, "enrolled": 4, "excess": 2, "amount": 10.0},
            {"region": "百善镇", "task": 1, "enrolled": 1, "excess": 0, "amount": 0},
        ]
    }
    rep = FundingReport(
        7, dt.date(2021, 12, 31), 2, (FundingLine("个人缴费", "实收", "参保人", 2, None, Decimal("640.00")),),
        None, "", Decimal("640.00"),
    )  # fmt: skip
    body = FundingOut.model_validate(rep).model_dump(mode="json")
    assert body["on"] == "2021-12-31" and body["total"] == 640 and body["lines"][0]["per_person"] is None
