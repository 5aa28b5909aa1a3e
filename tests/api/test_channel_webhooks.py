"""Issue 13, classes 5 and 3: channel notifications. The signature is checked before the body is
read; an unknown channel and a bad signature get the same answer; a refused notification keeps its
nonce; concurrent notifications of one reference record one payment (on a live server)."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from functools import partial

import httpx
import pytest
from apiworld import AS_OF, World
from fastapi.testclient import TestClient
from liveserver import at_once, live_server
from sqlalchemy import func, select

from urrbmi.access.channels import add_channel, sign
from urrbmi.db.models import Payment
from urrbmi.db.models_access import ChannelNonce
from urrbmi.db.session import session_scope

SECRET = "s3cret-for-webhook-tests"


@pytest.fixture
def channel(world: World) -> str:
    with session_scope(world.engine) as s:
        add_channel(s, "tax-bureau", "tax", world.campaign_id, actor="t", secret=SECRET)
    return "tax-bureau"


def post(
    http: httpx.Client,
    raw: bytes,
    *,
    nonce: str,
    name: str = "tax-bureau",
    secret: str = SECRET,
    ts: int | None = None,
    sig: str | None = None,
) -> httpx.Response:
    stamp = str(int(time.time()) if ts is None else ts)
    headers = {
        "Content-Type": "application/json",
        "X-Timestamp": stamp,
        "X-Nonce": nonce,
        "X-Signature": sign(secret, stamp, nonce, raw) if sig is None else sig,
    }
    return http.post(f"/api/v1/channels/{name}/payments", content=raw, headers=headers)


def line(world: World, client: TestClient, ref: str, number: str | None = None) -> dict[str, str]:
    n = number or world.people_a[0]
    r = client.post("/api/v1/residents/lookup", json={"id_number": n}, headers=world.auth("officer"))
    amount = Decimal(str(r.json()["campaigns"][0]["amount_due"]))
    return {"external_ref": ref, "id_number": n, "amount": str(amount), "paid_on": AS_OF.isoformat()}


def payments(world: World) -> int:
    with session_scope(world.engine) as s:
        return int(s.scalar(select(func.count()).select_from(Payment)) or 0)


BAD_BODIES = [b"", b"not json", b'{"payments": []}', b'{"payments": [{"external_ref": "x"}]}', b'{"x": 1}']


@pytest.mark.parametrize("raw", BAD_BODIES)
def test_the_signature_is_checked_before_the_body(
    world: World, client: TestClient, channel: str, raw: bytes
) -> None:
    # unsigned or wrongly signed: refused as such, whatever the body (nothing about it is told)
    r = post(client, raw, nonce="nonce-0001", sig="0" * 64)
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_signature", r.text
    r = client.post(
        "/api/v1/channels/tax-bureau/payments", content=raw, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_signature", r.text
    # correctly signed: now the body is judged
    r = post(client, raw, nonce="nonce-0002")
    assert r.status_code == 422 and r.json()["error"]["code"] in ("invalid_input", "missing_input"), r.text


def test_unknown_channel_and_bad_signature_answer_alike(
    world: World, client: TestClient, channel: str
) -> None:
    good = json.dumps({"payments": [line(world, client, "U-1")]}).encode()
    now = int(time.time())
    cases = [
        {"raw": good},
        {"raw": good, "ts": now - 3600},  # a stale clock
        {"raw": good, "ts": 10**13},  # an absurd clock
        {"raw": b'{"payments": []}'},  # a bad body
        {"raw": b"not json", "ts": now - 3600},
    ]
    for i, case in enumerate(cases):
        unknown = post(client, nonce=f"nonce-u{i:04d}", name="no-such-channel", **case)  # type: ignore[arg-type]
        forged = post(client, nonce=f"nonce-f{i:04d}", secret="a guessed secret", **case)  # type: ignore[arg-type]
        assert (unknown.status_code, unknown.json()) == (forged.status_code, forged.json()), case
        assert unknown.status_code == 401
    assert payments(world) == 0


def test_the_clock_is_judged_only_for_a_signed_notification(
    world: World, client: TestClient, channel: str
) -> None:
    good = json.dumps({"payments": [line(world, client, "C-1")]}).encode()
    r = post(client, good, nonce="nonce-c001", ts=int(time.time()) - 3600)
    assert r.status_code == 401 and r.json()["error"]["code"] == "stale_timestamp"


def test_a_refused_notification_keeps_its_nonce(world: World, client: TestClient, channel: str) -> None:
    first = line(world, client, "N-1")
    assert post(client, json.dumps({"payments": [first]}).encode(), nonce="nonce-n000").status_code == 200
    nonce = "nonce-n001"
    # refused after its signature held: a bad body, a reference recorded with other data, a stale clock
    assert post(client, b'{"payments": []}', nonce=nonce).status_code == 422
    conflict = json.dumps({"payments": [first | {"amount": "1.00"}]}).encode()
    assert post(client, conflict, nonce=nonce).status_code == 409
    good = json.dumps({"payments": [line(world, client, "N-2", world.people_a[1])]}).encode()
    assert post(client, good, nonce=nonce, ts=int(time.time()) - 3600).status_code == 401
    with session_scope(world.engine) as s:
        assert (
            s.scalar(select(func.count()).select_from(ChannelNonce).where(ChannelNonce.nonce == nonce)) == 0
        )
    # corrected and sent again with the same nonce: accepted, and only now is the nonce used up
    r = post(client, good, nonce=nonce)
    assert r.status_code == 200 and r.json()["status"] == {"accepted": 1}, r.text
    again = post(client, good, nonce=nonce)
    assert again.status_code == 401 and again.json()["error"]["code"] == "bad_signature"
    assert payments(world) == 2


def test_a_header_that_is_not_ascii_is_refused_not_a_server_error(
    world: World, client: TestClient, channel: str
) -> None:
    raw = b'{"payments": []}'
    # "²²²" in Latin-1: str.isdigit() holds, int() and ASCII encoding fail
    headers = {"X-Timestamp": b"\xb2\xb2\xb2", "X-Nonce": b"nonce-x001", "X-Signature": b"0" * 64}
    r = client.post("/api/v1/channels/tax-bureau/payments", content=raw, headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_signature"


def test_concurrent_notifications_of_one_reference_record_one_payment(
    world: World, client: TestClient, channel: str
) -> None:
    """50 notifications of one reference (fresh nonces) at once: one payment, 49 replays, no
    server error (on PostgreSQL the losers hit the unique index and are re-run)."""
    raw = json.dumps({"payments": [line(world, client, "W-1")]}).encode()
    with live_server(world.url) as http:
        answers = at_once([partial(post, http, raw, nonce=f"race-nonce-{i:04d}") for i in range(50)])
    assert [(r.status_code, r.text[:200]) for r in answers if r.status_code != 200] == []
    assert sum(r.json()["replayed"] for r in answers) == 49
    assert [r.json()["results"][0]["status"] for r in answers] == ["accepted"] * 50
    assert payments(world) == 1
