"""Campaigns and payments over the API: happy paths, scope (403, nothing leaked), bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from apiworld import AS_OF, PASSWORD, World
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.access import accounts
from urrbmi.db.models import AuditLog, Campaign, Enrollment, Payment, Resident
from urrbmi.db.session import session_scope


def due(world: World, client: TestClient, number: str) -> Decimal:
    r = client.post("/api/v1/residents/lookup", json={"id_number": number}, headers=world.auth("officer"))
    return Decimal(str(r.json()["campaigns"][0]["amount_due"]))


def payments(world: World) -> int:
    with session_scope(world.engine) as s:
        return int(s.scalar(select(func.count()).select_from(Payment)) or 0)


def test_list_and_get_campaigns(world: World, client: TestClient) -> None:
    for user in ("officer", "town_a", "auditor", "finance"):
        r = client.get("/api/v1/campaigns", headers=world.auth(user))
        assert r.status_code == 200, (user, r.text)
        assert [c["id"] for c in r.json()["items"]] == [world.campaign_id]
    r = client.get(f"/api/v1/campaigns/{world.campaign_id}", headers=world.auth("town_a"))
    assert r.status_code == 200 and r.json()["policy_id"] == "qianjiang-2022"
    assert client.get("/api/v1/campaigns", headers=world.auth("uploader")).status_code == 403
    assert client.get("/api/v1/campaigns/999", headers=world.auth("officer")).status_code == 403


def test_create_campaign_in_scope_only(world: World, client: TestClient) -> None:
    r = client.post(
        "/api/v1/campaigns",
        json={"policy_id": "qianjiang-2022", "region_code": "500114"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "campaign_overlap"  # one per region and year
    r = client.post(
        "/api/v1/campaigns",
        json={"policy_id": "fengdu-shetan-2023", "region_code": "500230108"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 403  # Shetan is not in Qianjiang
    r = client.post(
        "/api/v1/campaigns",
        json={"policy_id": "qianjiang-2022", "region_code": "500114"},
        headers=world.auth("town_a"),
    )
    assert r.status_code == 403
    r = client.post("/api/v1/campaigns", json={"policy_id": "qianjiang-2022"}, headers=world.auth("officer"))
    assert r.status_code == 422 and "行政区划代码" in r.json()["error"]["message"]


def test_assess_whole_campaign_needs_county_scope(world: World, client: TestClient) -> None:
    r = client.post(
        f"/api/v1/campaigns/{world.campaign_id}/assess",
        json={"as_of": AS_OF.isoformat()},
        headers=world.auth("officer"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["assessed"] == 6
    r = client.post(f"/api/v1/campaigns/{world.campaign_id}/assess", json={}, headers=world.auth("town_a"))
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/campaigns/{world.campaign_id}/assess", json={"tier": 0}, headers=world.auth("officer")
    )
    assert r.status_code == 422


def test_record_payment_scoped_idempotent(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URRBMI_TODAY", AS_OF.isoformat())  # the agent records on the day it is paid
    n = world.people_a[1]
    amount = due(world, client, n)
    body = {"id_number": n, "amount": str(amount), "external_ref": "R-1", "paid_on": AS_OF.isoformat()}
    url = f"/api/v1/campaigns/{world.campaign_id}/payments"
    r = client.post(url, json=body, headers=world.auth("agent_a"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "accepted" and out["receipt_no"] and out["replayed"] is False
    assert out["id_number"] == ids.mask(n)
    r = client.post(url, json=body, headers=world.auth("agent_a"))
    assert r.json()["replayed"] is True and r.json()["receipt_no"] == out["receipt_no"]
    # the same reference with another amount: conflict
    r = client.post(url, json=body | {"amount": "1.00"}, headers=world.auth("agent_a"))
    assert r.status_code == 409
    # an agent of the other village: refused before anything is recorded, nothing leaked
    before = payments(world)
    m = world.people_b[1]
    r = client.post(url, json=body | {"id_number": m, "external_ref": "R-2"}, headers=world.auth("agent_a"))
    assert r.status_code == 403 and payments(world) == before
    assert m not in r.text and ids.mask(m) not in r.text
    for user in ("auditor", "finance", "uploader"):
        assert (
            client.post(url, json=body | {"external_ref": "R-3"}, headers=world.auth(user)).status_code == 403
        )
    # bad input
    r = client.post(
        url, json=body | {"amount": "12.345", "external_ref": "R-4"}, headers=world.auth("agent_a")
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    r = client.post(url, json=body | {"amount": -5, "external_ref": "R-4"}, headers=world.auth("agent_a"))
    assert r.status_code == 422
    r = client.post(url, json={"id_number": n}, headers=world.auth("agent_a"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "missing_input"
    # the statement now shows the payment and the benefit period
    st = client.post("/api/v1/residents/lookup", json={"id_number": n}, headers=world.auth("agent_a")).json()
    assert (
        st["campaigns"][0]["enrolled"] is True and st["campaigns"][0]["payments"][0]["external_ref"] == "R-1"
    )


def test_wrong_amount_at_the_counter_is_refused_with_the_amount_due(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URRBMI_TODAY", AS_OF.isoformat())
    n = world.people_a[1]
    amount = due(world, client, n)
    url = f"/api/v1/campaigns/{world.campaign_id}/payments"
    body = {"id_number": n, "amount": str(amount / 10), "external_ref": "W-1"}  # 32 typed for 320
    r = client.post(url, json=body, headers=world.auth("agent_a"))
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "amount_mismatch"
    assert f"应缴{amount:.2f}元" in err["message"] and f"{amount:.2f} yuan" in err["message_en"]
    assert n not in r.text and payments(world) == 0  # nothing written
    # the right amount under the same reference is then recorded
    r = client.post(url, json=body | {"amount": str(amount)}, headers=world.auth("agent_a"))
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    # a bank's file keeps a wrong amount in the held queue (the money is already taken)
    m = world.people_a[2]
    data = f"交易流水号,身份证号码,金额,缴费日期\nB-1,{m},1.00,{AS_OF.isoformat()}\n".encode()
    r = client.post(
        f"{url}/import",
        files={"file": ("bank.csv", data, "text/csv")},
        data={"channel": "bank"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 200 and r.json()["held"] == {"amount_mismatch": 1}, r.text


def test_paid_on_not_after_today_nor_backdated_without_an_officer(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = AS_OF + dt.timedelta(days=10)
    monkeypatch.setenv("URRBMI_TODAY", today.isoformat())
    url = f"/api/v1/campaigns/{world.campaign_id}/payments"
    n = world.people_a[1]
    amount = due(world, client, n)
    body = {"id_number": n, "amount": str(amount), "external_ref": "D-1"}
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    for user in ("agent_a", "officer"):  # not even an officer dates a payment tomorrow
        r = client.post(url, json=body | {"paid_on": tomorrow}, headers=world.auth(user))
        assert r.status_code == 422 and r.json()["error"]["code"] == "paid_on_future", r.text
        assert "晚于今天" in r.json()["error"]["message"] and "after today" in r.json()["error"]["message_en"]
    # ten days back: beyond the default week for an agent, allowed to officers (audited)
    r = client.post(url, json=body | {"paid_on": AS_OF.isoformat()}, headers=world.auth("agent_a"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "backdate_not_allowed", r.text
    assert "7天" in r.json()["error"]["message"] and "7 days" in r.json()["error"]["message_en"]
    assert payments(world) == 0
    week = (today - dt.timedelta(days=7)).isoformat()
    r = client.post(url, json=body | {"paid_on": week}, headers=world.auth("agent_a"))
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    r = client.post(
        url,
        json=body
        | {
            "id_number": world.people_a[2],
            "external_ref": "D-2",
            "amount": str(due(world, client, world.people_a[2])),
            "paid_on": AS_OF.isoformat(),
        },
        headers=world.auth("town_a"),
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    with session_scope(world.engine) as s:
        backdated = s.scalars(select(AuditLog).where(AuditLog.action == "backdate")).all()
        assert [(a.actor, a.new) for a in backdated] == [
            ("api:town_a", {"paid_on": AS_OF.isoformat(), "days": 3})
        ]
    # the window is a setting
    monkeypatch.setenv("URRBMI_BACKDATE_DAYS", "14")
    m = world.people_b[1]
    r = client.post(
        url,
        json={
            "id_number": m,
            "amount": str(due(world, client, m)),
            "external_ref": "D-3",
            "paid_on": AS_OF.isoformat(),
        },
        headers=world.auth("agent_b"),
    )
    assert r.status_code == 200, r.text


def test_second_campaign_over_part_of_the_county_is_refused(world: World, client: TestClient) -> None:
    with session_scope(world.engine) as s:  # a bureau officer scoped to one town (the case)
        accounts.create_user(s, "town_officer", PASSWORD, "bureau_officer", "500114001", actor="test")
    token = accounts.login(world.engine, "town_officer", PASSWORD, "token").token
    r = client.post(
        "/api/v1/campaigns",
        json={"policy_id": "qianjiang-2022", "region_code": "500114001"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 409, r.text
    err = r.json()["error"]
    assert err["code"] == "campaign_overlap"
    assert f"征缴批次{world.campaign_id}（黔江区，500114）" in err["message"] and "城西街道" in err["message"]
    assert f"campaign {world.campaign_id}" in err["message_en"] and "500114001" in err["message_en"]
    with session_scope(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(Campaign)) == 1


def test_cancel_payment_scope(world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URRBMI_TODAY", AS_OF.isoformat())
    n = world.people_b[0]
    amount = due(world, client, n)
    url = f"/api/v1/campaigns/{world.campaign_id}"
    r = client.post(
        f"{url}/payments",
        json={"id_number": n, "amount": str(amount), "external_ref": "C-1", "paid_on": AS_OF.isoformat()},
        headers=world.auth("agent_b"),
    )
    assert r.status_code == 200, r.text
    body = {"channel": "cash", "external_ref": "C-1", "reason": "已参加职工医保"}
    # a bureau officer of the whole county may; an agent may not (no permission); town A: out of scope
    assert client.post(f"{url}/payments/cancel", json=body, headers=world.auth("agent_b")).status_code == 403
    r = client.post(f"{url}/payments/cancel", json=body, headers=world.auth("town_a"))
    assert r.status_code == 403
    r = client.post(f"{url}/payments/cancel", json=body, headers=world.auth("officer"))
    assert r.status_code == 200 and r.json()["status"] == "refunded"
    r = client.post(f"{url}/payments/cancel", json=body, headers=world.auth("officer"))
    assert r.status_code == 409
    r = client.post(
        f"{url}/payments/cancel", json=body | {"external_ref": "nope"}, headers=world.auth("officer")
    )
    assert r.status_code == 404
    r = client.post(f"{url}/payments/cancel", json={"channel": "gold"}, headers=world.auth("officer"))
    assert r.status_code == 422


def test_import_channel_file(world: World, client: TestClient) -> None:
    lines = ["交易流水号,身份证号码,金额,缴费日期"]
    for i, n in enumerate(world.people_a + world.people_b):
        lines.append(f"W-{i},{n},{due(world, client, n)},{AS_OF.isoformat()}")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    url = f"/api/v1/campaigns/{world.campaign_id}/payments/import"
    r = client.post(
        url,
        files={"file": ("pay.csv", data, "text/csv")},
        data={"channel": "wechat"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == {"accepted": 6} and r.json()["lines"] == 6
    r = client.post(
        url,
        files={"file": ("pay.csv", data, "text/csv")},
        data={"channel": "wechat"},
        headers=world.auth("officer"),
    )
    assert r.json()["replayed"] == 6
    r = client.post(
        url,
        files={"file": ("pay.csv", data, "text/csv")},
        data={"channel": "wechat"},
        headers=world.auth("town_a"),
    )
    assert r.status_code == 403
    bad = "交易流水号,身份证号码,金额,缴费日期\nX-1,123,1,2021-12-15\n".encode()
    r = client.post(
        url,
        files={"file": ("pay.csv", bad, "text/csv")},
        data={"channel": "wechat"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 422 and "第2行" in r.json()["error"]["message"]
    r = client.post(
        url,
        files={"file": ("pay.csv", data, "text/csv")},
        data={"channel": "cash"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 422


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_roster_is_cut_to_scope(world: World, client: TestClient, fmt: str) -> None:
    url = f"/api/v1/campaigns/{world.campaign_id}/roster?format={fmt}"
    r = client.get(url, headers=world.auth("officer"))
    assert r.status_code == 200, r.text
    if fmt == "csv":
        text = r.content.decode("utf-8-sig")
        assert all(n in text for n in world.people_a + world.people_b)
    else:
        ws = load_workbook(io.BytesIO(r.content)).active
        assert ws is not None
        numbers = {row[2] for row in ws.iter_rows(min_row=2, values_only=True)}
        assert numbers == set(world.people_a + world.people_b)
    # a township officer has no roster permission; the auditor neither
    assert client.get(url, headers=world.auth("town_a")).status_code == 403
    assert client.get(url, headers=world.auth("auditor")).status_code == 403
    assert client.get(url.replace(fmt, "pdf"), headers=world.auth("officer")).status_code == 422


def test_roster_file_writes_a_hostile_name_as_text(world: World, client: TestClient) -> None:
    """Issue 13.1: the roster the API serves holds a registered name as text, not a formula."""
    names = {
        world.people_a[0]: "=cmd|' /C calc'!A0",
        world.people_a[1]: "+1+1",
        world.people_b[0]: "@SUM(A1)",
    }
    with session_scope(world.engine) as s:
        for n, name in names.items():
            s.execute(update(Resident).where(Resident.id_number == n).values(name=name))
    url = f"/api/v1/campaigns/{world.campaign_id}/roster"
    x = client.get(url, headers=world.auth("officer"))
    assert x.status_code == 200, x.text
    ws = load_workbook(io.BytesIO(x.content)).worksheets[0]
    rows = {r[2].value: r for r in ws.iter_rows(min_row=2)}
    assert all(c.data_type != "f" for r in rows.values() for c in r)
    for n, name in names.items():
        assert rows[n][1].value == name and rows[n][1].data_type == "s" and rows[n][1].quotePrefix
    text = client.get(url + "?format=csv", headers=world.auth("officer")).content.decode("utf-8-sig")
    got = {r[2]: r[1] for r in csv.reader(text.splitlines(keepends=True))}
    assert all(got[n] == "'" + name for n, name in names.items())


def test_reconcile_duplicates_identity_changes(world: World, client: TestClient) -> None:
    base = f"/api/v1/campaigns/{world.campaign_id}"
    r = client.get(f"{base}/reconcile", headers=world.auth("officer"))
    assert r.status_code == 200 and r.json()["unpaid"]["count"] == 6
    assert client.get(f"{base}/reconcile", headers=world.auth("auditor")).status_code == 200
    assert client.get(f"{base}/reconcile", headers=world.auth("town_a")).status_code == 403
    r = client.get(f"{base}/duplicates", headers=world.auth("officer"))
    assert r.status_code == 200 and r.json()["items"] == []
    r = client.post(f"{base}/identity-changes", json={"on": "2022-03-01"}, headers=world.auth("officer"))
    assert r.status_code == 200, r.text
    assert client.post(f"{base}/identity-changes", json={}, headers=world.auth("town_a")).status_code == 403
    assert (
        client.post(f"{base}/identity-changes", json={"on": "x"}, headers=world.auth("officer")).status_code
        == 422
    )


def test_newborn(world: World, client: TestClient) -> None:
    import datetime as dt

    baby = ids.make("500114", dt.date(2021, 11, 1), 612)
    body = {
        "id_number": baby,
        "name": "新生儿",
        "region_code": "500114001001",
        "guardian_id_number": world.people_a[0],
        "on": "2021-12-01",
    }
    url = f"/api/v1/campaigns/{world.campaign_id}/newborns"
    r = client.post(url, json=body | {"region_code": "500114002001"}, headers=world.auth("town_a"))
    assert r.status_code == 403
    r = client.post(url, json=body | {"guardian_id_number": world.people_b[0]}, headers=world.auth("town_a"))
    assert r.status_code == 403 and world.people_b[0] not in r.text
    r = client.post(url, json=body, headers=world.auth("town_a"))
    assert r.status_code == 201, r.text
    assert r.json()["assessment"] in ("due", "excluded", "error")
    with session_scope(world.engine) as s:
        assert (
            s.scalars(select(Resident).where(Resident.id_number == baby)).one().region_code == "500114001001"
        )
    r = client.post(url, json={"name": "x"}, headers=world.auth("town_a"))
    assert r.status_code == 422


def test_assess_without_tier_uses_the_campaign_default_tier(world: World, client: TestClient) -> None:
    from sqlalchemy import select

    from urrbmi.campaign.tiers import configure
    from urrbmi.db.models import Assessment, Campaign
    from urrbmi.db.session import session_scope

    with session_scope(world.engine) as s:
        configure(s, s.get(Campaign, world.campaign_id), default_tier=2, actor="tester")  # type: ignore[arg-type]
    r = client.post(
        f"/api/v1/campaigns/{world.campaign_id}/assess",
        json={"as_of": AS_OF.isoformat()},
        headers=world.auth("officer"),
    )
    assert r.status_code == 200, r.text
    with session_scope(world.engine) as s:
        tiers = set(s.scalars(select(Assessment.tier).where(Assessment.campaign_id == world.campaign_id)))
    assert tiers == {2}


def test_a_double_enrollment_refused_by_the_database_is_a_bilingual_409(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a race the unique index is the last word (one live enrollment per resident and year):
    its violation answers 409 ``already_enrolled``, not a server error."""
    import urrbmi.interfaces.api.payments as api

    def racing(s: Session, c: Campaign, **_: object) -> None:
        rid = s.scalars(select(Resident.id).where(Resident.id_number == world.people_a[1])).one()
        row = {
            "campaign_id": c.id,
            "resident_id": rid,
            "benefit_year": c.benefit_year,
            "region_code": "500114001",
            "source": "payment",
            "enrolled_on": AS_OF,
        }
        s.execute(insert(Enrollment), [row, row])  # what two racing writers would leave

    monkeypatch.setattr(api, "record_payment", racing)
    body = {"id_number": world.people_a[1], "amount": "1", "external_ref": "X-1"}
    r = client.post(
        f"/api/v1/campaigns/{world.campaign_id}/payments", json=body, headers=world.auth("agent_a")
    )
    assert r.status_code == 409, r.text
    err = r.json()["error"]
    assert (
        err["code"] == "already_enrolled"
        and "只能参保一次" in err["message"]
        and "benefit year" in err["message_en"]
    )
