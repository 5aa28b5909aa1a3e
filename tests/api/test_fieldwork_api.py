"""The field-work API (issue 15 items 1–2) as the agent's phone calls it: worklist, household,
several members paid in one request (all or nothing), a visit outcome, reminders as Excel with a
Chinese file name, an activation list with a bad row. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from typing import Any
from urllib.parse import unquote

import pytest
from apiworld import AS_OF, World
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from urrbmi.db.models import AuditLog, Payment
from urrbmi.db.session import session_scope


def test_agent_pays_two_at_once_records_a_visit_and_exports_reminders(
    world: World, client: TestClient, monkeypatch: object
) -> None:
    monkeypatch.setenv("URRBMI_TODAY", AS_OF.isoformat())  # type: ignore[attr-defined]
    h = world.auth("agent_a")
    w = client.get("/api/v1/fieldwork/worklist", headers=h)
    assert w.status_code == 200, w.text
    body = w.json()
    assert body["total_residents"] == 3 and body["campaign_id"] == world.campaign_id
    rids = [m["resident_id"] for g in body["households"] for m in g["members"]]
    dues = {}
    for rid in rids:
        hh = client.get(f"/api/v1/fieldwork/households/{rid}", headers=h).json()
        dues[rid] = next(m["amount_due"] for m in hh["members"] if m["resident_id"] == rid)
    bad = client.post(
        "/api/v1/fieldwork/payments",
        json={"request_ref": "T-0001", "members": [{"resident_id": rids[0], "amount": str(dues[rids[0]])},
              {"resident_id": rids[1], "amount": "0.01"}]},
        headers=h,
    )  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "amount_mismatch"
    assert "均未入账" in bad.json()["error"]["message"]
    with session_scope(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0  # the first member too
    ok = client.post(
        "/api/v1/fieldwork/payments",
        json={
            "request_ref": "T-0002",
            "members": [{"resident_id": r, "amount": str(dues[r])} for r in rids[:2]],
        },
        headers=h,
    )
    assert ok.status_code == 200, ok.text
    assert len(ok.json()["members"]) == 2 and all(m["receipt_no"] for m in ok.json()["members"])
    v = client.post(
        "/api/v1/fieldwork/visits",
        json={"resident_id": rids[2], "outcome": "promised", "reason": "下周缴", "promised_on": "2021-12-20",
              "phone": "13700001234"},
        headers=h,
    )  # fmt: skip
    assert v.status_code == 201 and v.json()["outcome_zh"] == "承诺缴费", v.text
    no_day = client.post(
        "/api/v1/fieldwork/visits",
        json={"resident_id": rids[2], "outcome": "promised", "reason": "下周缴"},
        headers=h,
    )
    assert no_day.status_code == 422
    left = client.get("/api/v1/fieldwork/worklist", headers=h).json()
    assert [m["resident_id"] for g in left["households"] for m in g["members"]] == [rids[2]]
    rem = client.get("/api/v1/fieldwork/reminders", headers=h).json()
    assert [(m["resident_id"], m["phone"]) for m in rem["items"]] == [(rids[2], "13700001234")]
    assert (rem["total"], rem["offset"], rem["limit"]) == (1, 0, 20)
    after = client.get("/api/v1/fieldwork/reminders", params={"offset": 1}, headers=h).json()
    assert (after["total"], after["items"]) == (1, [])
    x = client.get("/api/v1/fieldwork/reminders/export", headers=h)
    assert x.status_code == 200
    assert "催缴提醒名单" in unquote(x.headers["content-disposition"])
    ws = load_workbook(BytesIO(x.content)).active
    assert ws is not None and ws["E4"].value == "13700001234"


def test_activation_import_and_rates(world: World, client: TestClient) -> None:
    data = "身份证号码,激活日期\n" + f"{world.people_a[0]},2021-11-01\n" + "bad,2021-11-01\n"
    r = client.post(
        "/api/v1/fieldwork/activations/import",
        files={"file": ("激活.csv", data.encode(), "text/csv")},
        headers=world.auth("officer"),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["recorded"], r.json()["bad"]) == (1, [{"row": 3, "reason": "身份证号码无效"}])
    assert client.post(
        "/api/v1/fieldwork/activations/import",
        files={"file": ("激活.csv", data.encode(), "text/csv")},
        headers=world.auth("town_a"),
    ).status_code == 403  # fmt: skip
    rates = client.get(
        "/api/v1/fieldwork/activation", params={"level": "town"}, headers=world.auth("officer")
    )
    by = {row["name"]: (row["activated"], row["registry"]) for row in rates.json()["rows"]}
    assert by["城西街道"] == (1, 3)
    missing = client.get("/api/v1/fieldwork/not-activated", headers=world.auth("agent_a")).json()
    assert (missing["total"], missing["offset"], missing["limit"], len(missing["items"])) == (2, 0, 20, 2)
    pages = [
        client.get(
            "/api/v1/fieldwork/not-activated", params={"limit": 1, "offset": o}, headers=world.auth("agent_a")
        ).json()
        for o in (0, 1, 2)
    ]
    assert [p["total"] for p in pages] == [2, 2, 2]
    assert [m["resident_id"] for p in pages for m in p["items"]] == [
        m["resident_id"] for m in missing["items"]
    ]
    too_many = {"limit": 201}
    assert (
        client.get(
            "/api/v1/fieldwork/not-activated", params=too_many, headers=world.auth("agent_a")
        ).status_code
        == 422
    )


def test_a_second_click_while_a_list_is_written_is_refused(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A county's list takes a minute to write: the same user asking again meanwhile gets one
    bilingual 429 instead of a second minute of work; another user is served meanwhile, and the
    first download still ends well although that user's audit row was committed while it read
    (on SQLite a read transaction that writes at its end failed then: "database is locked")."""
    from urrbmi.campaign import fieldwork

    real = fieldwork.reminder_file
    started, release = threading.Event(), threading.Event()

    def slow(*args: Any, **kw: Any) -> Any:
        if kw["actor"] == "api:officer":
            started.set()
            assert release.wait(10)
        return real(*args, **kw)

    monkeypatch.setattr(fieldwork, "reminder_file", slow)
    url = "/api/v1/fieldwork/reminders/export"
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(client.get, url, headers=world.auth("officer"))
        assert started.wait(10)
        again = client.get(url, headers=world.auth("officer"))
        assert again.status_code == 429, again.text
        err = again.json()["error"]
        assert err["code"] == "download_in_progress" and "仍在生成" in err["message"]
        other = client.get(url, headers=world.auth("agent_a"))  # another user: served, audited
        assert other.status_code == 200, other.text
        release.set()
        assert first.result(10).status_code == 200, first.result().text
    assert client.get(url, headers=world.auth("officer")).status_code == 200
    assert [(a, n["list"], n["rows"]) for a, n in _exports(world)] == [
        ("api:agent_a", "催缴提醒名单", 3),
        ("api:officer", "催缴提醒名单", 6),
        ("api:officer", "催缴提醒名单", 6),
    ]


def _exports(world: World) -> list[tuple[str, dict[str, Any]]]:
    with session_scope(world.engine) as s:
        rows = s.execute(
            select(AuditLog.actor, AuditLog.new).where(AuditLog.action == "export").order_by(AuditLog.id)
        ).all()
    return [(a, dict(n)) for a, n in rows]


def test_every_large_download_leaves_one_audit_row(world: World, client: TestClient) -> None:
    """The reminder list, the not-enrolled list and the roster (whole ID numbers) each append one
    audit row naming the list, the region, the day and the rows, once the file is written."""
    c = f"/api/v1/campaigns/{world.campaign_id}"
    for url, user in (
        ("/api/v1/fieldwork/reminders/export", "agent_a"),
        (f"{c}/lists/not-enrolled/xlsx", "town_a"),
        (f"{c}/roster?format=csv", "officer"),
    ):
        r = client.get(url, headers=world.auth(user))
        assert r.status_code == 200, (url, r.text)
    got = [(a, n["list"], n["region"], n["rows"]) for a, n in _exports(world)]
    assert got == [
        ("api:agent_a", "催缴提醒名单", "500114001001", 3),
        ("api:town_a", "未参保人员清单", "500114001", 3),
        ("api:officer", "未参保名单", "500114", 6),
    ]
    shown = [{k: v for k, v in n.items() if k in ("phones", "ids")} for _, n in _exports(world)]
    # the village and the town call residents (contact.read); only the bureau sees whole ID numbers
    assert shown == [{"phones": "完整"}, {"phones": "完整", "ids": "隐去中间位"}, {"ids": "完整"}]
