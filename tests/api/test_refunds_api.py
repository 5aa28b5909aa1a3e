"""A refund carried from pending to reconciled through the API (issue 14, item 3), on SQLite and
PostgreSQL: who may decide (refund.approve, never the creator), who may send and pay
(refund.pay), region scope, and the same result file imported twice."""

from __future__ import annotations

from apiworld import AS_OF, PASSWORD, World
from fastapi.testclient import TestClient

from urrbmi import ids
from urrbmi.access import accounts
from urrbmi.db.session import session_scope


def test_refund_lifecycle_through_the_api(world: World, client: TestClient) -> None:
    base = f"/api/v1/campaigns/{world.campaign_id}"
    number = world.people_a[1]
    officer, admin, finance = world.auth("officer"), world.auth("admin"), world.auth("finance")
    due = client.post("/api/v1/residents/lookup", json={"id_number": number}, headers=officer).json()
    amount = str(due["campaigns"][0]["amount_due"])
    r = client.post(
        f"{base}/payments",
        json={"id_number": number, "amount": amount, "external_ref": "R-1", "paid_on": AS_OF.isoformat()},
        headers=officer,
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    r = client.post(
        f"{base}/payments/cancel",
        json={"channel": "cash", "external_ref": "R-1", "reason": "已参加职工医保"},
        headers=officer,
    )
    assert r.status_code == 200, r.text
    r = client.get(f"{base}/refunds", params={"status": "pending"}, headers=officer)
    assert r.status_code == 200, r.text
    [row] = r.json()["items"]
    rid = row["id"]
    assert (row["kind"], row["amount"], row["created_by"]) == ("cancellation", float(amount), "api:officer")
    # a village agent may not decide; the creator may not approve their own; another town sees nothing
    r = client.post(f"{base}/refunds/approve", json={"refund_ids": [rid]}, headers=world.auth("agent_a"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = client.post(f"{base}/refunds/approve", json={"refund_ids": [rid]}, headers=officer)
    assert r.status_code == 403 and r.json()["error"]["code"] == "four_eyes"
    with session_scope(world.engine) as s:
        accounts.create_user(s, "admin_town_b", PASSWORD, "bureau_admin", "500114002", actor="test")
    other = {
        "Authorization": f"Bearer {accounts.login(world.engine, 'admin_town_b', PASSWORD, 'token').token}"
    }
    r = client.post(f"{base}/refunds/approve", json={"refund_ids": [rid]}, headers=other)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert client.get(f"{base}/refunds", headers=other).json()["items"] == []
    # the bureau administrator approves; twice is refused
    r = client.post(f"{base}/refunds/approve", json={"refund_ids": [rid]}, headers=admin)
    assert r.status_code == 200 and r.json()["items"][0]["status"] == "approved", r.text
    assert r.json()["items"][0]["decided_by"] == "api:admin"
    r = client.post(f"{base}/refunds/approve", json={"refund_ids": [rid]}, headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "refund_state"
    # finance writes the refund file (full ID number for the bank) ...
    r = client.post(f"{base}/refunds/file", params={"channel": "bank", "format": "csv"}, headers=officer)
    assert r.status_code == 403  # an officer decides, finance pays
    r = client.post(f"{base}/refunds/file", params={"channel": "bank", "format": "csv"}, headers=finance)
    assert r.status_code == 200, r.text
    batch = r.headers["X-Refund-Batch"]
    assert batch and number in r.content.decode("utf-8-sig") and r.headers["X-Refund-Count"] == "1"
    # a file lost on the way is written again from its batch, changing nothing
    again = {"channel": "bank", "format": "csv", "again": batch}
    r2 = client.post(f"{base}/refunds/file", params=again, headers=finance)
    assert r2.status_code == 200 and r2.content == r.content, r2.text
    r2 = client.post(f"{base}/refunds/file", params=again | {"again": "RF-none"}, headers=finance)
    assert r2.status_code == 404
    # ... and imports the bank's answer; the same file again changes nothing
    result = (
        f"退费编号,结果,金额（元）,支付日期,渠道流水号,批次号\n{rid},成功,{amount},2022-01-06,BK-9,{batch}\n"
    )
    files = {"file": ("result.csv", result.encode(), "text/csv")}
    r = client.post(f"{base}/refunds/result", files=files, headers=finance)
    assert r.status_code == 200 and (r.json()["paid"], r.json()["problems"]) == (1, []), r.text
    r = client.post(f"{base}/refunds/result", files=files, headers=finance)
    assert (r.json()["paid"], r.json()["unchanged"]) == (0, 1)
    bad = f"退费编号,结果,金额（元）\n{rid + 100},成功,{amount}\n".encode()
    r = client.post(f"{base}/refunds/result", files={"file": ("b.csv", bad, "text/csv")}, headers=finance)
    assert [p["code"] for p in r.json()["problems"]] == ["unknown_ref"]
    # reconciled: one paid, nothing outstanding; finance sees the ID masked in lists
    r = client.get(f"{base}/refunds/reconcile", headers=finance)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(t["status"], t["count"], t["amount"]) for t in body["totals"]] == [("paid", 1, float(amount))]
    assert body["outstanding"] == 0 and body["stale"] == []
    [row] = client.get(f"{base}/refunds", headers=finance).json()["items"]
    assert (row["status"], row["paid_on"], row["channel_ref"]) == ("paid", "2022-01-06", "BK-9")
    assert row["id_number"] == ids.mask(number)
