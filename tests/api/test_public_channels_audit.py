"""The public lookup (nothing disclosed, rate limited), the signed channel endpoint (HMAC,
timestamps, nonces, idempotency) and the audit log query."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from decimal import Decimal

import httpx
import pytest
from apiworld import AS_OF, World
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from urrbmi import ids
from urrbmi.access.channels import add_channel, sign
from urrbmi.access.ratelimit import SlidingWindow
from urrbmi.db.models import Payment, Resident
from urrbmi.db.session import session_scope

PUBLIC = "/api/v1/public/lookup"


def name_of(world: World, number: str) -> str:
    with session_scope(world.engine) as s:
        return str(s.scalars(select(Resident.name).where(Resident.id_number == number)).one())


def test_public_lookup_discloses_only_amount_and_period(world: World, client: TestClient) -> None:
    n = world.people_a[0]
    r = client.post(PUBLIC, json={"id_number": n, "name": name_of(world, n)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["match"] is True and body["years"][0]["benefit_year"] == 2022
    assert body["years"][0]["status"] == "due" and body["years"][0]["amount_due"] >= 0
    assert set(body["years"][0]) == {"benefit_year", "status", "amount_due", "benefit_start", "benefit_end"}
    for secret in ("500114001001", "低保", n, ids.mask(n)):
        assert secret not in r.text


def test_public_lookup_same_answer_for_unknown_and_wrong_name(world: World, client: TestClient) -> None:
    n = world.people_a[1]
    wrong = client.post(PUBLIC, json={"id_number": n, "name": "张三丰"})
    unknown = client.post(
        PUBLIC, json={"id_number": ids.make("500114", dt.date(1991, 1, 1), 11), "name": "张三丰"}
    )
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.content == unknown.content == b'{"match": false, "years": []}'
    bad = client.post(PUBLIC, json={"id_number": n[:17] + ("1" if n[17] != "1" else "2"), "name": "x"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_id"
    assert "校验位" in bad.json()["error"]["message"]
    bad = client.post(PUBLIC, json={"id_number": "123", "name": "x"})
    assert bad.status_code == 422 and "身份证号码" in bad.json()["error"]["message"]


def test_public_lookup_rate_limited_per_id_and_ip(world: World, client: TestClient) -> None:
    n = world.people_a[1]
    client.app.state.public_id_limiter = SlidingWindow(3)  # type: ignore[attr-defined]
    codes = [client.post(PUBLIC, json={"id_number": n, "name": "猜名字"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.post(PUBLIC, json={"id_number": n, "name": "猜名字"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"]["code"] == "rate_limited"
    client.app.state.public_ip_limiter = SlidingWindow(2)  # type: ignore[attr-defined]
    m = world.people_b[1]
    codes = [client.post(PUBLIC, json={"id_number": m, "name": "x"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_sliding_window_frees_up() -> None:
    w = SlidingWindow(2, window_seconds=10)
    w.hit("k", now=0.0)
    w.hit("k", now=1.0)
    with pytest.raises(Exception) as err:
        w.hit("k", now=5.0)
    assert getattr(err.value, "retry_after", 0) == 5
    w.hit("k", now=10.5)


# --- channels --------------------------------------------------------------------------------


@pytest.fixture
def channel(world: World) -> str:
    with session_scope(world.engine) as s:
        _, secret = add_channel(
            s, "tax-bureau", "tax", world.campaign_id, actor="t", secret="s3cret-for-tests"
        )
    return secret


def post_signed(
    client: TestClient,
    secret: str,
    body: Mapping[str, object],
    *,
    nonce: str,
    ts: int | None = None,
    sig: str | None = None,
    name: str = "tax-bureau",
) -> httpx.Response:
    raw = json.dumps(body).encode()
    stamp = str(ts if ts is not None else int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Timestamp": stamp,
        "X-Nonce": nonce,
        "X-Signature": sig or sign(secret, stamp, nonce, raw),
    }
    r: httpx.Response = client.post(f"/api/v1/channels/{name}/payments", content=raw, headers=headers)
    return r


def due(world: World, client: TestClient, n: str) -> Decimal:
    r = client.post("/api/v1/residents/lookup", json={"id_number": n}, headers=world.auth("officer"))
    return Decimal(str(r.json()["campaigns"][0]["amount_due"]))


def test_channel_notification_signed_idempotent_replay_protected(
    world: World, client: TestClient, channel: str
) -> None:
    lines = [
        {
            "external_ref": f"T-{i}",
            "id_number": n,
            "amount": str(due(world, client, n)),
            "paid_on": AS_OF.isoformat(),
        }
        for i, n in enumerate(world.people_a)
    ]
    body = {"payments": lines}
    r = post_signed(client, channel, body, nonce="nonce-0001")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == {"accepted": 3} and all(x["receipt_no"] for x in out["results"])
    # the very same request again: a replay, refused
    r = post_signed(client, channel, body, nonce="nonce-0001")
    assert r.status_code == 401
    # sent again with a fresh nonce: idempotent by reference, nothing recorded twice
    r = post_signed(client, channel, body, nonce="nonce-0002")
    assert r.status_code == 200 and r.json()["replayed"] == 3
    with session_scope(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 3


def test_channel_refusals(world: World, client: TestClient, channel: str) -> None:
    n = world.people_a[0]
    body = {
        "payments": [{"external_ref": "T-9", "id_number": n, "amount": "10", "paid_on": AS_OF.isoformat()}]
    }
    r = post_signed(client, channel, body, nonce="nonce-1001", sig="0" * 64)
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_signature"
    r = post_signed(client, "wrong-secret", body, nonce="nonce-1002")
    assert r.status_code == 401
    r = post_signed(client, channel, body, nonce="nonce-1003", ts=int(time.time()) - 3600)
    assert r.status_code == 401 and r.json()["error"]["code"] == "stale_timestamp"
    r = post_signed(client, channel, body, nonce="nonce-1004", name="no-such-channel")
    assert r.status_code == 401
    r = post_signed(client, channel, {"payments": []}, nonce="nonce-1005")
    assert r.status_code == 422
    r = client.post("/api/v1/channels/tax-bureau/payments", json=body)
    assert r.status_code == 401
    with session_scope(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0


# --- audit -----------------------------------------------------------------------------------


def test_audit_log_for_auditors_only(world: World, client: TestClient) -> None:
    r = client.get("/api/v1/audit?table=users&limit=5", headers=world.auth("auditor"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["items"]) == 5 and body["has_more"] is True
    assert all(i["table"] == "users" for i in body["items"])
    r = client.get("/api/v1/audit?table=residents", headers=world.auth("admin"))
    assert r.status_code == 200
    for n in world.people_a:
        assert n not in r.text  # masked in the log itself
    for user in ("officer", "town_a", "agent_a", "finance", "uploader"):
        r = client.get("/api/v1/audit", headers=world.auth(user))
        assert r.status_code == 403, user
        assert "residents" not in r.text
    r = client.get("/api/v1/audit?since=yesterday", headers=world.auth("auditor"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
