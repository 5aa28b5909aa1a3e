"""Issue 18 items 2-6 over the API (SQLite and PostgreSQL): group targets, a county's own task
tables, department list deadlines, the bulletin archive and funding by level."""

from __future__ import annotations

import io

from apiworld import PASSWORD, World
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from urrbmi.access import accounts
from urrbmi.campaign.campaigns import create_campaign
from urrbmi.db.session import session_scope

ON = "2021-12-31"


def base(world: World) -> str:
    return f"/api/v1/campaigns/{world.campaign_id}"


def test_qianjiang_4_village_task_table_by_api_checked_loaded_versioned(
    world: World, client: TestClient
) -> None:
    h = world.auth("admin")
    bad = "乡镇,村（社区）,参保任务数\n城西街道,城西社区,3\n城东街道,城东杜区,x\n".encode()
    r = client.post(
        f"{base(world)}/task-tables/check", files={"file": ("t.csv", bad, "text/csv")}, data={"level": "village"},
        headers=h,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert [(p["row"], p["code"]) for p in r.json()["problems"]] == [(3, "unknown_unit")]
    assert "是否指：城东社区" in r.json()["problems"][0]["zh"]
    r = client.post(
        f"{base(world)}/task-tables/check", files={"file": ("t.csv", bad, "text/csv")},
        data={"level": "village", "format": "xlsx"}, headers=h,
    )  # fmt: skip
    ws = load_workbook(io.BytesIO(r.content))["错误明细"]
    assert r.status_code == 200 and ws["D2"].value.startswith("区划中没有名为“城东杜区”")
    r = client.post(
        f"{base(world)}/task-tables", files={"file": ("t.csv", bad, "text/csv")},
        data={"name": "qj-villages", "level": "village"}, headers=h,
    )  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["code"] == "task_upload"
    good = "乡镇,村（社区）,参保任务数\n城西街道,城西社区,3\n城东街道,城东社区,2\n".encode()
    for replace in ("false", "true"):
        r = client.post(
            f"{base(world)}/task-tables", files={"file": ("t.csv", good, "text/csv")},
            data={"name": "qj-villages", "level": "village", "replace": replace}, headers=h,
        )  # fmt: skip
        assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["task_total"] == 5
    r = client.get(f"{base(world)}/task-tables/versions", headers=world.auth("officer"))
    assert [(v["version"], v["status"]) for v in r.json()["versions"]] == [(1, "replaced"), (2, "current")]
    r = client.get(f"{base(world)}/task-tables/qj-villages/versions/1/file", headers=world.auth("officer"))
    assert r.status_code == 200 and r.content == good
    # progress by village now runs against the loaded tasks
    r = client.get(f"{base(world)}/progress?on={ON}&level=village", headers=world.auth("officer"))
    assert r.status_code == 200 and {row["progress"]["task"] for row in r.json()["rows"]} == {3, 2}
    assert client.get(f"{base(world)}/task-tables/versions", headers=world.auth("town_a")).status_code == 403
    r = client.post(
        f"{base(world)}/task-tables", files={"file": ("t.csv", good, "text/csv")}, data={"name": "x"},
        headers=world.auth("auditor"),
    )  # fmt: skip
    assert r.status_code == 403  # campaign.manage


def test_qianjiang_4_2_list_deadlines_to_the_bureau(world: World, client: TestClient) -> None:
    r = client.get(f"{base(world)}/list-deadlines?on=2022-01-05", headers=world.auth("officer"))
    assert r.status_code == 200, r.text
    body = r.json()
    first = [x for x in body["lines"] if x["due"] == "2021-12-31"]
    assert {x["department"] for x in first} == {"区民政局", "区乡村振兴局", "区退役军人事务局", "区残联"}
    assert {x["status_zh"] for x in first} == {"未报送（已逾期5天）"}
    assert body["summary"]["missing"] == 4 and body["summary"]["pending"] == 4  # January's lists


def test_fengdu_8_3_bulletin_archive_by_api(world: World, client: TestClient) -> None:
    h = world.auth("admin")
    r = client.post(f"{base(world)}/bulletins", json={"on": ON, "rate": "0.95"}, headers=h)
    assert r.status_code == 200, r.text
    iid = r.json()["id"]
    r = client.post(f"{base(world)}/bulletins", json={"on": ON, "rate": "0.95"}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "bulletin_exists"
    r = client.get(f"{base(world)}/bulletins/{iid}", headers=world.auth("officer"))
    assert r.status_code == 200 and {row["unit"] for row in r.json()["rows"]} == {
        "城西街道",
        "城东街道",
        "合计",
    }
    xlsx = client.get(f"{base(world)}/bulletins/{iid}?format=xlsx", headers=world.auth("officer"))
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.content)).active is not None
    assert (
        "通报" in client.get(f"{base(world)}/bulletins/{iid}?format=html", headers=world.auth("officer")).text
    )
    r = client.get(f"{base(world)}/bulletins/{iid}/recheck", headers=world.auth("officer"))
    assert r.json() == {"issue_id": iid, "as_of": ON, "same": True, "differences": []}
    r = client.get(f"{base(world)}/bulletins", headers=world.auth("officer"))
    assert [x["id"] for x in r.json()["issues"]] == [iid] and r.json()["schedule_label"] is None
    # a town officer sees no county-wide bulletin of the archive
    assert client.get(f"{base(world)}/bulletins", headers=world.auth("town_a")).json()["issues"] == []
    assert client.get(f"{base(world)}/bulletins/{iid}", headers=world.auth("town_a")).status_code == 404


def test_changji_2_funding_levels_and_payments_by_api(world: World, client: TestClient) -> None:
    with session_scope(world.engine) as s:
        cid = create_campaign(s, "changji-2023", "652301", actor="t").id
        accounts.create_user(s, "cj_admin", PASSWORD, "bureau_admin", "652301", actor="t")
    h = {"Authorization": f"Bearer {accounts.login(world.engine, 'cj_admin', PASSWORD, 'token').token}"}
    url = f"/api/v1/campaigns/{cid}"
    r = client.post(
        f"{url}/funding/payments",
        json={"level": "county", "amount": "98.80", "paid_on": "2022-12-20", "reference": "县拨-1"},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["amount_fen"] == 9880, r.text
    r = client.post(
        f"{url}/funding/payments",
        json={"level": "provincial", "amount": "1", "paid_on": "2022-12-20", "reference": "x"},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "funding_payment"
    r = client.get(f"{url}/funding/levels?on=2022-12-25", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [s["label"] for s in body["shares"]] == ["中央财政", "自治区财政", "县市财政"]
    county = body["shares"][2]
    assert county["deadline"] == "2022-12-31" and county["paid"] == 98.8 and county["per_person"] == 98.8
    assert body["critical_illness_per_person"] == 145
    r = client.get(f"{url}/group-targets?on=2022-12-10", headers=h)
    assert r.status_code == 200
    assert [t["deadline"] for t in r.json()["targets"]] == ["2022-11-30", "2023-01-31"]
    assert r.json()["targets"][0]["days_left_text"] == "已逾期10天"
