"""Targets (progress, bulletin, lists, funding, incentive), department lists and the review queue,
and accepting held payments, over the API: happy paths, scope, bad input."""

from __future__ import annotations

import io
from decimal import Decimal

from apiworld import AS_OF, World
from deptlists import minzheng_csv
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from urrbmi import ids
from urrbmi.db.models import Payment, Region, Resident
from urrbmi.db.session import session_scope

ON = "2021-12-31"


def base(world: World) -> str:
    return f"/api/v1/campaigns/{world.campaign_id}"


def test_progress_scoped(world: World, client: TestClient) -> None:
    r = client.get(f"{base(world)}/progress?on={ON}&level=town", headers=world.auth("officer"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_target_rate"  # 黔江: tasks, no rate
    r = client.get(f"{base(world)}/progress?on={ON}&level=town&rate=0.95", headers=world.auth("officer"))
    assert r.status_code == 200, r.text
    units = {row["unit"] for row in r.json()["rows"]}
    assert units == {"500114001", "500114002"}
    r = client.get(f"{base(world)}/progress?on={ON}&level=village&rate=0.95", headers=world.auth("town_a"))
    assert r.status_code == 200, r.text
    assert {row["unit"] for row in r.json()["rows"]} == {"500114001001"}
    assert client.get(f"{base(world)}/progress", headers=world.auth("uploader")).status_code == 403
    assert (
        client.get(f"{base(world)}/progress?level=planet", headers=world.auth("officer")).status_code == 422
    )


def test_progress_drill_down_counts_only_its_town(world: World, client: TestClient) -> None:
    """Issue 18 item 7: a village drill-down fetches its town only (ranked within the town), not
    every village of the county for the page to filter."""
    h = world.auth("officer")
    towns = client.get(f"{base(world)}/progress?on={ON}&level=town&rate=0.95", headers=h).json()
    r = client.get(f"{base(world)}/progress?on={ON}&level=village&rate=0.95&region=500114002", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scope"] == "500114002"
    assert {row["unit"] for row in body["rows"]} == {"500114002001"}
    town = next(t for t in towns["rows"] if t["unit"] == "500114002")
    assert body["total"]["registry"] == town["registry"] and body["total"]["enrolled"] == town["enrolled"]
    # a township officer cannot drill into another town
    r = client.get(
        f"{base(world)}/progress?on={ON}&level=village&rate=0.95&region=500114002",
        headers=world.auth("town_a"),
    )
    assert r.status_code == 403
    bad = client.get(f"{base(world)}/progress?level=village&region=town", headers=h)
    assert bad.status_code == 422


def test_bulletin_formats(world: World, client: TestClient) -> None:
    for fmt in ("json", "html", "xlsx"):
        r = client.get(
            f"{base(world)}/bulletin?on={ON}&format={fmt}&rate=0.95", headers=world.auth("officer")
        )
        assert r.status_code == 200, (fmt, r.text[:300])
        if fmt == "xlsx":
            assert load_workbook(io.BytesIO(r.content)).active is not None
    with session_scope(world.engine) as s:
        names = {r.code: r.name for r in s.scalars(select(Region))}
    page = client.get(
        f"{base(world)}/bulletin?on={ON}&format=html&rate=0.95", headers=world.auth("officer")
    ).text
    # issue 15.4/15.5: the printed bulletin names the county, framed; no policy id, no doc path
    assert f"<h1>{names['500114']}2022年度" in page and "border: 2px solid" in page
    assert "docs/" not in page and "qianjiang-2022" not in page
    town = client.get(
        f"{base(world)}/bulletin?on={ON}&format=html&rate=0.95", headers=world.auth("town_a")
    ).text
    assert f"<h1>{names['500114001']}2022年度" in town  # a township's bulletin names its town
    assert client.get(f"{base(world)}/bulletin?format=pdf", headers=world.auth("officer")).status_code == 422
    assert client.get(f"{base(world)}/bulletin", headers=world.auth("agent_a")).status_code == 403


def test_not_enrolled_list_is_scoped_and_masked(world: World, client: TestClient) -> None:
    r = client.get(f"{base(world)}/lists/not-enrolled?on={ON}&limit=50", headers=world.auth("agent_a"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 3
    for n in world.people_a:
        assert n not in r.text and ids.mask(n) in r.text
    for n in world.people_b:
        assert ids.mask(n) not in r.text
    r = client.get(f"{base(world)}/lists/not-enrolled?on={ON}&limit=50", headers=world.auth("officer"))
    assert r.json()["total"] == 6 and world.people_b[0] in r.text  # full IDs for officers
    r = client.get(f"{base(world)}/lists/hardship?on={ON}", headers=world.auth("town_a"))
    assert r.status_code == 200, r.text
    assert client.get(f"{base(world)}/lists/not-enrolled", headers=world.auth("finance")).status_code == 403
    assert (
        client.get(f"{base(world)}/lists/not-enrolled?limit=0", headers=world.auth("officer")).status_code
        == 422
    )


def test_township_filters_and_exports_the_not_enrolled_list(world: World, client: TestClient) -> None:
    town, village, other = "500114001", "500114001001", "500114002"
    r = client.get(f"{base(world)}/lists/not-enrolled?on={ON}&region={village}", headers=world.auth("town_a"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 3 and {"village", "household_head", "phone", "last_status", "due"} <= set(
        body["keys"]
    )
    assert body["title"].startswith(body["rows"][0]["village"])
    assert (
        client.get(
            f"{base(world)}/lists/not-enrolled?region={other}", headers=world.auth("town_a")
        ).status_code
        == 403
    )  # another town: refused, not an empty list
    r = client.get(
        f"{base(world)}/lists/not-enrolled/xlsx?on={ON}&region={town}", headers=world.auth("town_a")
    )
    assert r.status_code == 200, r.text
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[2][:6] == ("村（社区）", "区划代码", "户主", "姓名", "身份证号", "联系电话")
    assert len(rows) == 3 + 3 and all(isinstance(x[7], (int, float)) for x in rows[3:])
    for n in world.people_b:
        assert ids.mask(n) not in str(rows)
    assert (
        client.get(f"{base(world)}/lists/not-enrolled/xlsx", headers=world.auth("finance")).status_code == 403
    )
    r = client.get("/api/v1/audit?action=export", headers=world.auth("admin"))
    assert r.status_code == 200 and r.json()["items"][0]["new"]["rows"] == 3


def test_funding_for_finance(world: World, client: TestClient) -> None:
    n = world.people_a[1]
    st = client.post("/api/v1/residents/lookup", json={"id_number": n}, headers=world.auth("officer")).json()
    amount = Decimal(str(st["campaigns"][0]["amount_due"]))
    pay = client.post(
        f"{base(world)}/payments",
        json={"id_number": n, "amount": str(amount), "external_ref": "F-1", "paid_on": AS_OF.isoformat()},
        headers=world.auth("officer"),
    )
    assert pay.status_code == 200, pay.text
    r = client.get(f"{base(world)}/funding?on={ON}", headers=world.auth("finance"))
    assert r.status_code == 200, r.text
    assert r.json()["enrolled"] >= 1
    for user in ("town_a", "agent_a", "auditor", "uploader"):
        assert client.get(f"{base(world)}/funding", headers=world.auth(user)).status_code == 403
    assert client.get(f"{base(world)}/funding?on=tomorrow", headers=world.auth("finance")).status_code == 422
    r = client.get(f"{base(world)}/incentive?on={ON}", headers=world.auth("finance"))
    assert r.status_code < 500, r.text


def test_accept_held_payment(world: World, client: TestClient) -> None:
    n = world.people_a[2]
    url = f"{base(world)}/payments"
    data = f"交易流水号,身份证号码,金额,缴费日期\nH-1,{n},1.00,{AS_OF.isoformat()}\n".encode()
    r = client.post(
        f"{url}/import",
        files={"file": ("bank.csv", data, "text/csv")},
        data={"channel": "bank"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 200 and r.json()["held"] == {"amount_mismatch": 1}, r.text
    with session_scope(world.engine) as s:
        pid = s.scalars(select(Payment.id).where(Payment.external_ref == "H-1")).one()
    assert (
        client.post(f"{url}/{pid}/accept", json={"reason": "复核"}, headers=world.auth("agent_a")).status_code
        == 403
    )
    r = client.post(f"{url}/{pid}/accept", json={"reason": "经复核按实收确认"}, headers=world.auth("officer"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted" and r.json()["receipt_no"]
    r = client.post(f"{url}/{pid}/accept", json={"reason": "again"}, headers=world.auth("officer"))
    assert r.status_code == 409
    assert (
        client.post(f"{url}/999999/accept", json={"reason": "x"}, headers=world.auth("officer")).status_code
        == 403
    )
    assert client.post(f"{url}/{pid}/accept", json={}, headers=world.auth("officer")).status_code == 422


def test_held_payment_names_the_resident_and_is_refunded_into_the_lifecycle(
    world: World, client: TestClient
) -> None:
    """Issue 15.4: the reconciliation names who paid a held payment; giving it back makes a
    pending refund that another officer approves (the refund lifecycle)."""
    n = world.people_a[2]
    url = f"{base(world)}/payments"
    data = f"交易流水号,身份证号码,金额,缴费日期\nH-9,{n},1.00,{AS_OF.isoformat()}\n".encode()
    r = client.post(
        f"{url}/import",
        files={"file": ("bank.csv", data, "text/csv")},
        data={"channel": "bank"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 200, r.text
    held = client.get(f"{base(world)}/reconcile", headers=world.auth("officer")).json()["mismatches"]
    with session_scope(world.engine) as s:
        name = s.scalars(select(Resident.name).where(Resident.id_number == n)).one()
    assert [(h["external_ref"], h["name"]) for h in held] == [("H-9", name)]
    body = {"channel": "bank", "external_ref": "H-9", "reason": "金额不符，退回"}
    r = client.post(f"{url}/cancel", json=body, headers=world.auth("officer"))
    assert r.status_code == 200 and r.json()["status"] == "refunded", r.text
    rows = client.get(f"{base(world)}/refunds?status=pending", headers=world.auth("admin")).json()["items"]
    assert [(x["name"], x["kind"], Decimal(str(x["amount"]))) for x in rows] == [
        (name, "refund", Decimal("1"))
    ]


# --- department lists ------------------------------------------------------------------------


def name_of(world: World, n: str) -> str:
    with session_scope(world.engine) as s:
        return str(s.scalars(select(Resident.name).where(Resident.id_number == n)).one())


def test_uploader_loads_its_own_source_only(world: World, client: TestClient) -> None:
    data = minzheng_csv([(n, name_of(world, n)) for n in world.people_a])
    url = "/api/v1/imports/lists"
    # no row is valid here (the towns are not the world's): the replace ends the one 低保 identity,
    # all there is, which must be confirmed (test_bounds_lists.py)
    r = client.post(
        url,
        files={"file": ("低保.csv", data, "text/csv")},
        data={"source": "minzheng", "as_of": "2021-10-31", "confirm_removals": "true"},
        headers=world.auth("uploader"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["already_loaded"] is False and r.json()["data_rows"] == 3
    for n in world.people_a:
        assert n not in r.text
    again = client.post(
        url,
        files={"file": ("低保.csv", data, "text/csv")},
        data={"source": "minzheng", "as_of": "2021-10-31"},
        headers=world.auth("uploader"),
    )
    assert again.status_code == 200 and again.json()["already_loaded"] is True
    r = client.post(
        url,
        files={"file": ("残联.csv", data, "text/csv")},
        data={"source": "canlian"},
        headers=world.auth("uploader"),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "source_not_allowed"
    for user in ("town_a", "agent_a", "auditor", "finance"):
        r = client.post(
            url,
            files={"file": ("x.csv", data, "text/csv")},
            data={"source": "minzheng"},
            headers=world.auth(user),
        )
        assert r.status_code == 403, user
    r = client.post(url, data={"source": "minzheng"}, headers=world.auth("uploader"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "missing_input"
    r = client.post(
        url,
        files={"file": ("x.csv", data, "text/csv")},
        data={"source": "minzheng", "mode": "swap"},
        headers=world.auth("uploader"),
    )
    assert r.status_code == 422


def test_review_queue_scoped(world: World, client: TestClient) -> None:
    # a list naming a town-A resident differently: a conflict for a person to decide
    n = world.people_a[0]
    data = minzheng_csv([(n, "改了名字")])
    r = client.post(
        "/api/v1/imports/lists",
        files={"file": ("低保.csv", data, "text/csv")},
        data={"source": "minzheng", "as_of": "2021-10-31"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["review_items"] == 1
    items = client.get("/api/v1/imports/reviews", headers=world.auth("town_a")).json()["items"]
    assert len(items) == 1 and items[0]["id_number"] == ids.mask(n)
    item = items[0]["id"]
    assert client.get("/api/v1/imports/reviews", headers=world.auth("town_b")).json()["items"] == []
    r = client.get(f"/api/v1/imports/reviews/{item}", headers=world.auth("town_b"))
    assert r.status_code == 403 and ids.mask(n) not in r.text and "改了名字" not in r.text
    assert client.get("/api/v1/imports/reviews/99999", headers=world.auth("town_b")).json() == r.json()
    r = client.post(
        f"/api/v1/imports/reviews/{item}/decide",
        json={"decision": "keep_registry"},
        headers=world.auth("town_b"),
    )
    assert r.status_code == 403
    assert client.get("/api/v1/imports/reviews", headers=world.auth("agent_a")).status_code == 403
    r = client.post(
        f"/api/v1/imports/reviews/{item}/decide", json={"decision": "maybe"}, headers=world.auth("town_a")
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/imports/reviews/{item}/decide",
        json={"decision": "keep_registry", "note": "户籍为准"},
        headers=world.auth("town_a"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "decided" and n not in r.text


def test_charts_data_scoped(world: World, client: TestClient) -> None:
    n = world.people_b[1]
    st = client.post("/api/v1/residents/lookup", json={"id_number": n}, headers=world.auth("officer")).json()
    amount = str(st["campaigns"][0]["amount_due"])
    r = client.post(
        f"{base(world)}/payments",
        json={"id_number": n, "amount": amount, "external_ref": "G-1", "paid_on": AS_OF.isoformat()},
        headers=world.auth("officer"),
    )
    assert r.status_code == 200, r.text
    r = client.get(f"{base(world)}/charts?on={ON}", headers=world.auth("officer"))
    assert r.status_code == 200, r.text
    assert r.json()["burnup"] == [{"day": AS_OF.isoformat(), "enrolled": 1}]
    assert sum(r.json()["composition"].values()) == 1
    # 黔江 2022 一（三）: the centralized window 2021-12-01 to 2022-02-28 (no task set loaded)
    assert (r.json()["start"], r.json()["deadline"]) == ("2021-12-01", "2022-02-28")
    r = client.get(f"{base(world)}/charts?on={ON}", headers=world.auth("town_a"))  # the payment is in town B
    assert r.status_code == 200 and r.json()["burnup"] == []
    assert client.get(f"{base(world)}/charts", headers=world.auth("uploader")).status_code == 403
    assert client.get(f"{base(world)}/charts?on=x", headers=world.auth("officer")).status_code == 422


def test_residents_missing_from_a_hukou_list_scoped_and_masked(world: World, client: TestClient) -> None:
    import datetime as dt

    from urrbmi.imports.load import load_list

    with session_scope(world.engine) as s:
        name = s.scalars(select(Resident.name).where(Resident.id_number == world.people_a[0])).one()
        data = f"姓名,公民身份号码,人口状态\n{name},{world.people_a[0]},正常\n".encode("gb18030")
        batch = load_list(s, data, "hukou", dt.date(2021, 12, 1), actor="test", file_name="户籍.csv").batch_id
    url = f"/api/v1/imports/batches/{batch}/absent"
    r = client.get(url, headers=world.auth("officer"))
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 5 and world.people_b[0] in r.text  # officers see whole IDs
    r = client.get(url + "?limit=1", headers=world.auth("agent_a"))
    body = r.json()
    assert (body["total"], len(body["items"]), body["has_more"]) == (2, 1, True)
    r = client.get(url, headers=world.auth("agent_a"))
    assert {i["id_number"] for i in r.json()["items"]} == {ids.mask(n) for n in world.people_a[1:]}
    assert all(n not in r.text for n in world.people_a + world.people_b)
    assert client.get(url, headers=world.auth("finance")).status_code == 403
    assert client.get(url + "?limit=0", headers=world.auth("officer")).status_code == 422
    r = client.get("/api/v1/imports/batches/999999/absent", headers=world.auth("officer"))
    assert r.status_code == 422 and "户籍" in r.json()["error"]["message"]
