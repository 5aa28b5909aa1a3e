"""Cash handover by the API (issue 14 item 3), on SQLite and PostgreSQL: an agent's cash on two days
→ daily totals → submitted → confirmed by the township officer with a 10-yuan shortfall → a
handed-over receipt cancelled only by an officer; another town's officer sees and confirms nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from apiworld import World
from fastapi.testclient import TestClient
from sqlalchemy import select

from urrbmi.db.models import AuditLog
from urrbmi.db.session import session_scope
from urrbmi.policy import ResidentInput, load_policy, quote

DAY1, DAY2 = dt.date(2021, 12, 14), dt.date(2021, 12, 15)


def test_handover_from_cash_to_confirmed(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URRBMI_TODAY", DAY2.isoformat())
    cid = world.campaign_id
    base = f"/api/v1/campaigns/{cid}"
    agent = world.auth("agent_a")
    qj = load_policy("qianjiang-2022")
    total = Decimal(0)
    for i, (number, day) in enumerate(zip(world.people_a[1:], (DAY1, DAY2), strict=True)):
        due = quote(qj, ResidentInput.parse({"id_number": number, "paid_on": day})).total_due
        total += due
        r = client.post(
            f"{base}/payments",
            json={
                "id_number": number,
                "amount": str(due),
                "external_ref": f"A-{i}",
                "paid_on": day.isoformat(),
            },
            headers=agent,
        )
        assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    r = client.get(f"{base}/handovers/daily", params={"day": DAY1.isoformat()}, headers=agent)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["receipts"] == 1 and d["handed_over"] == 0 and world.people_a[1] not in r.text  # masked
    r = client.get(f"{base}/handovers/daily", params={"agent": "api:agent_b"}, headers=agent)
    assert r.status_code == 403  # another agent's cash: an officer's view
    r = client.post(f"{base}/handovers", json={}, headers=agent)
    assert r.status_code == 200, r.text
    h = r.json()
    assert (h["status"], h["receipts"], Decimal(str(h["expected"]))) == ("submitted", 2, total)
    assert h["agent"] == "api:agent_a" and h["received"] is None
    hid = h["id"]
    assert client.post(f"{base}/handovers", json={}, headers=agent).status_code == 409  # nothing left
    assert client.get(f"{base}/handovers", headers=agent).status_code == 403  # officers' list
    short = str(total - 10)
    # another town's officer: the batch is out of scope (uniform 403), listed nowhere
    town_b = world.auth("town_b")
    r = client.post(
        f"{base}/handovers/{hid}/confirm", json={"received": short, "reason": "x"}, headers=town_b
    )
    assert r.status_code == 403, r.text
    assert client.get(f"{base}/handovers", headers=town_b).json()["items"] == []
    assert client.get(f"{base}/handovers/report", headers=town_b).json()["days"] == []
    town_a = world.auth("town_a")
    r = client.post(f"{base}/handovers/{hid}/confirm", json={"received": short}, headers=town_a)
    assert r.status_code == 422 and "短款10.00元" in r.json()["error"]["message"]
    r = client.post(
        f"{base}/handovers/{hid}/confirm", json={"received": short, "reason": "少一张十元"}, headers=town_a
    )
    assert r.status_code == 200, r.text
    h = r.json()
    assert h["status"] == "confirmed" and h["confirmed_by"] == "api:town_a"
    assert h["difference"] == -10 and h["difference_zh"] == "短款10.00元（-10.00）"
    r = client.get(f"{base}/handovers/report", params={"older_than_days": 0}, headers=town_a)
    rows = {row["day"]: row for row in r.json()["days"]}
    assert rows[DAY2.isoformat()]["difference"] == -10 and rows[DAY1.isoformat()]["not_handed_over"] == 0
    assert r.json()["not_handed_over"] == []
    # a handed-over receipt: the agent cannot cancel; the bureau officer can, and it is audited
    cancel = {"channel": "cash", "external_ref": "A-0", "reason": "职工医保"}
    assert client.post(f"{base}/payments/cancel", json=cancel, headers=agent).status_code == 403
    r = client.post(f"{base}/payments/cancel", json=cancel, headers=world.auth("officer"))
    assert r.status_code == 200 and r.json()["status"] == "refunded", r.text
    r = client.get(f"{base}/handovers/{hid}", headers=world.auth("finance"))
    assert r.status_code == 200 and r.json()["cancelled_after"] == 1 and r.json()["receipts"] == 2
    with session_scope(world.engine) as s:
        rows_ = s.execute(
            select(AuditLog.actor, AuditLog.action, AuditLog.new).where(
                AuditLog.table_name.in_(("cash_handovers", "payments")), AuditLog.action.in_(("submit", "confirm", "cancel"))
            ).order_by(AuditLog.id)
        ).all()  # fmt: skip
    assert [(a, act) for a, act, _ in rows_] == [
        ("api:agent_a", "submit"), ("api:town_a", "confirm"), ("api:officer", "cancel")
    ]  # fmt: skip
    assert rows_[1][2]["difference_fen"] == -1000 and rows_[2][2]["cash_handover"] == hid
