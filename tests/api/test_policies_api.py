"""REST endpoints over the policy engine: happy paths, bad input, errors as JSON."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from urrbmi.interfaces.api import create_app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def test_list_policies(client: TestClient) -> None:
    r = client.get("/api/v1/policies")
    assert r.status_code == 200
    ids = {p["id"] for p in r.json()}
    assert {"changji-2023", "suixi-2022", "qianjiang-2022"} <= ids
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_policy_detail_has_citations(client: TestClient) -> None:
    r = client.get("/api/v1/policies/changji-2023")
    assert r.status_code == 200
    body = r.json()
    assert body["document"] == "昌州医保发〔2022〕12号" and "98.8" in body["summary"]
    assert body["policy"]["fiscal_subsidy"]["amount"] == "660"


def test_quote_exact_money(client: TestClient) -> None:
    r = client.post(
        "/api/v1/policies/fengdu-shetan-2023/quote",
        json={"paid_on": "2022-11-20", "categories": ["低保对象"]},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["standard"], body["subsidy"], body["total_due"]) == (350, 315, 35)
    assert '"total_due": 35,' in r.text  # a number, not a string or 35.0


@pytest.mark.parametrize(
    ("path", "payload", "status", "code"),
    [
        ("/api/v1/policies/nope-2020/quote", {"paid_on": "2022-01-01"}, 404, "unknown_policy"),
        ("/api/v1/policies/suixi-2022/quote", {}, 422, "missing_input"),
        ("/api/v1/policies/suixi-2022/quote", {"paid_on": "2021-11-01", "x": 1}, 422, "invalid_input"),
        ("/api/v1/policies/suixi-2022/quote", {"paid_on": "not a date"}, 422, "invalid_input"),
        (
            "/api/v1/policies/suixi-2022/quote",
            {"paid_on": "2021-11-01", "id_number": "110105194912310021"},
            422,
            "invalid_id",
        ),
        (
            "/api/v1/policies/suixi-2022/quote",
            {"paid_on": "2021-11-01", "categories": ["重点优抚对象"]},
            409,
            "policy_gap",
        ),
        ("/api/v1/policies/suixi-2022/quote", {"paid_on": "2020-01-01"}, 422, "outside_window"),
    ],
)
def test_errors(client: TestClient, path: str, payload: dict[str, object], status: int, code: str) -> None:
    r = client.post(path, json=payload)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"] and err["message_en"]
    assert "110105194912310021" not in r.text


def test_unknown_route_is_json(client: TestClient) -> None:
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_openapi_documents_quote(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/policies/{policy_id}/quote" in spec["paths"]
