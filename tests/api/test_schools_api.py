"""Schools as payers over the API (issue 14 item 4, 泰兴 四（一）2): a township officer registers a
school of the town, uploads its roster, reads the statement, pays the total once; a wrong total
is refused with the amount due; progress by school. On SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from apiworld import AS_OF, World
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from urrbmi import ids
from urrbmi.db.models import Payment
from urrbmi.db.session import session_scope


def roster(rows: list[tuple[str, str]]) -> dict[str, tuple[str, bytes, str]]:
    body = "序号,学生姓名,身份证号码,班级\n" + "".join(
        f"{i},{n},{x},一（1）班\n" for i, (x, n) in enumerate(rows, 1)
    )
    return {"file": ("名册.csv", body.encode("gb18030"), "text/csv")}


def test_taixing_4_1_2_school_pays_for_pupils_by_api(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URRBMI_TODAY", AS_OF.isoformat())
    h = world.auth("town_a")
    r = client.post("/api/v1/schools", json={"name": "城西小学", "region_code": "500114001001"}, headers=h)
    assert r.status_code == 200, r.text
    sid = r.json()["id"]
    r = client.post("/api/v1/schools", json={"name": "城东小学", "region_code": "500114002001"}, headers=h)
    assert r.status_code == 403  # another town
    base = f"/api/v1/campaigns/{world.campaign_id}/schools/{sid}"
    pupils = [(world.people_a[1], "居民1"), (world.people_a[2], "居民2"), (world.people_b[0], "居民0")]
    r = client.post(f"{base}/roster", files=roster(pupils), headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["pupils"], body["students_marked"]) == (2, 2)
    # town B's resident is answered as unknown (nothing told about another town's registry)
    (problem,) = body["problems"]
    assert problem["row"] == 4 and problem["value"] == ids.mask(world.people_b[0]) and problem["en"]
    r = client.get(f"{base}/statement", params={"on": AS_OF.isoformat()}, headers=h)
    assert r.status_code == 200, r.text
    st = r.json()
    assert st["due"] == 2 and [x["status_zh"] for x in st["lines"]] == ["应缴", "应缴"]
    assert all(x["id_number"].count("*") == 10 for x in st["lines"])  # masked for a township officer
    total = Decimal(str(st["total"]))
    assert total == sum(Decimal(str(x["amount_due"])) for x in st["lines"]) > 0
    r = client.get(f"{base}/statement/file", params={"format": "csv"}, headers=h)
    assert r.status_code == 200 and "合计" in r.content.decode("utf-8-sig")
    pay = {"amount": str(total - 1), "channel": "bank", "external_ref": "CX-1", "paid_on": AS_OF.isoformat()}
    r = client.post(f"{base}/payments", json=pay, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "amount_mismatch", r.text
    assert f"应缴合计{total:.2f}元" in r.text
    with session_scope(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0
    r = client.post(f"{base}/payments", json=pay | {"amount": str(total)}, headers=h)
    assert r.status_code == 200, r.text
    paid = r.json()
    assert (paid["accepted"], paid["held"]) == (2, 0) and all(x["receipt_no"] for x in paid["receipts"])
    r = client.get(
        f"/api/v1/campaigns/{world.campaign_id}/schools/progress", params={"on": AS_OF.isoformat()}, headers=h
    )
    assert r.status_code == 200, r.text
    (row,) = r.json()["items"]
    assert (row["name"], row["roster"], row["enrolled"]) == ("城西小学", 2, 2)
    # another town's officer sees neither the school nor its statement
    hb = world.auth("town_b")
    assert client.get(f"{base}/statement", headers=hb).status_code == 403
    assert client.get("/api/v1/schools", headers=hb).json()["items"] == []
    assert client.get("/api/v1/schools", headers=world.auth("agent_a")).status_code == 403  # no school.manage
