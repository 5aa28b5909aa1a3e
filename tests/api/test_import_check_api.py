"""Checking a department list before loading it: counts, problem rows paged and masked, the Excel
error report, the confirm step (the same file, checksum verified), permissions and bad files."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from apiworld import World
from deptlists import HEADER, messy, minzheng_csv
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from urrbmi import ids
from urrbmi.db.models_imports import ImportBatch
from urrbmi.db.session import session_scope

CHECK = "/api/v1/imports/lists/check"
AS_OF = {"source": "minzheng", "as_of": "2021-10-31"}


def batches(world: World) -> int:
    with session_scope(world.engine) as s:
        return int(s.scalar(select(func.count()).select_from(ImportBatch)) or 0)


def test_check_pages_masks_reports_and_confirms(world: World, client: TestClient) -> None:
    data = messy(world)
    before = batches(world)
    r = client.post(
        CHECK + "?limit=2",
        files={"file": ("低保.csv", data, "text/csv")},
        data=AS_OF,
        headers=world.auth("uploader"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert batches(world) == before  # the check writes nothing
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    c = body["counts"]
    assert (
        c["data_rows"],
        c["valid"],
        c["invalid"],
        c["duplicates"],
        c["conflicts"],
        c["conflict_rows"],
    ) == (7, 3, 1, 1, 1, 2)
    probs = body["problems"]
    assert probs["total"] == 4 and len(probs["items"]) == 2 and probs["has_more"] is True
    first = probs["items"][0]
    assert first["kind"] == "invalid" and first["row"] == 5 and first["reason"]  # file row: header is row 1
    # the uploader may not see full IDs: neither in the ID field nor in the value of the ID column
    for n in [*world.people_a, world.people_b[0]]:
        assert n not in r.text
    assert ids.mask(world.people_a[0]) in r.text
    assert world.people_a[0][:17] not in r.text  # the bad ID's cell value is masked too
    token = body["token"]
    rest = client.get(f"{CHECK}/{token}/rows?limit=2&offset=2", headers=world.auth("uploader")).json()
    assert [x["kind"] for x in probs["items"]] == ["invalid", "duplicate"]
    assert [(x["kind"], x["row"]) for x in rest["items"]] == [("conflict", 7), ("conflict", 8)]
    assert rest["items"][0]["name"] == "张三" and "姓名" in rest["items"][0]["reason"]
    rows = [x["row"] for x in probs["items"] + rest["items"]]
    assert rows == sorted(rows) and rest["has_more"] is False
    everything = client.get(f"{CHECK}/{token}/rows?limit=100", headers=world.auth("uploader")).json()["items"]
    assert sorted(x["kind"] for x in everything) == ["conflict", "conflict", "duplicate", "invalid"]
    # the Excel error report: Chinese headers, the row number and reason of the bad line
    x = client.get(f"{CHECK}/{token}/report", headers=world.auth("uploader"))
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxml")
    wb = load_workbook(io.BytesIO(x.content))
    errs = list(wb["错误明细"].iter_rows(values_only=True))
    assert errs[0][:4] == ("行号", "列", "原值", "错误原因") and errs[1][0] == 5
    assert list(wb["重复行"].iter_rows(values_only=True))[1][:2] == (6, 2)
    # another user's token: the same answer as an unknown one, nothing of the file in it
    other = client.get(f"{CHECK}/{token}/rows", headers=world.auth("officer"))
    assert other.status_code == 404 and "错号人" not in other.text
    assert client.get(f"{CHECK}/nope/report", headers=world.auth("uploader")).json() == other.json()
    # confirm: the same file with the checked checksum loads; a different file is refused
    url = "/api/v1/imports/lists"
    changed = data + b"8,,,,,,\n9,x\n"
    r = client.post(
        url,
        files={"file": ("低保.csv", changed, "text/csv")},
        data={**AS_OF, "sha256": body["sha256"]},
        headers=world.auth("uploader"),
    )
    assert r.status_code == 409 and re.search("[\u4e00-\u9fff]", r.json()["error"]["message"])
    assert batches(world) == before
    r = client.post(
        url,
        files={"file": ("低保.csv", data, "text/csv")},
        data={**AS_OF, "sha256": body["sha256"]},
        headers=world.auth("uploader"),
    )
    assert r.status_code == 200, r.text
    assert (
        r.json()["sha256"] == body["sha256"] and r.json()["data_rows"] == 7 and batches(world) == before + 1
    )
    for n in world.people_a:
        assert n not in r.text


def test_error_file_writes_hostile_cells_as_text(world: World, client: TestClient) -> None:
    """Issue 13.1: the error file the API serves holds a list's cells as text, not formulas."""
    hostile = ('=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)")
    lines = minzheng_csv([(world.people_a[0], "王一")]).decode("gb18030").splitlines(keepends=True)
    lines += [
        f'{i},王二,男,{world.people_a[1]},"{h.replace(chr(34), chr(34) * 2)}",城西街道,2021-01-01\n'
        for i, h in enumerate(hostile, start=2)
    ]
    r = client.post(
        CHECK,
        files={"file": ("低保.csv", "".join(lines).encode("gb18030"), "text/csv")},
        data=AS_OF,
        headers=world.auth("uploader"),
    )
    assert r.status_code == 200, r.text
    x = client.get(f"{CHECK}/{r.json()['token']}/report", headers=world.auth("uploader"))
    assert x.status_code == 200
    ws = load_workbook(io.BytesIO(x.content))["错误明细"]
    cells = {row[2].value: row[2] for row in ws.iter_rows(min_row=2)}
    assert set(hostile) <= set(cells)
    for h in hostile:
        assert cells[h].data_type == "s" and cells[h].quotePrefix, h
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_officer_sees_full_ids(world: World, client: TestClient) -> None:
    data = messy(world)
    r = client.post(
        CHECK, files={"file": ("低保.csv", data, "text/csv")}, data=AS_OF, headers=world.auth("officer")
    )
    assert r.status_code == 200, r.text
    assert world.people_b[0] in r.text


def test_check_refuses_other_sources_and_roles(world: World, client: TestClient) -> None:
    data = messy(world)
    r = client.post(
        CHECK,
        files={"file": ("残联.csv", data, "text/csv")},
        data={"source": "canlian"},
        headers=world.auth("uploader"),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "source_not_allowed"
    assert "错号人" not in r.text and ids.mask(world.people_a[0]) not in r.text and "token" not in r.json()
    for user in ("town_a", "agent_a", "auditor", "finance"):
        r = client.post(
            CHECK, files={"file": ("x.csv", data, "text/csv")}, data=AS_OF, headers=world.auth(user)
        )
        assert r.status_code == 403, user
        assert "错号人" not in r.text and "token" not in r.json()


def test_check_bad_files_answer_in_chinese(world: World, client: TestClient) -> None:
    han = re.compile("[\u4e00-\u9fff]")
    for name, content in (
        ("x.xlsx", b"this is not a workbook"),
        ("x.csv", "甲,乙,丙\n1,2,3\n".encode()),
        ("x.csv", b""),
    ):
        r = client.post(
            CHECK, files={"file": (name, content, "text/csv")}, data=AS_OF, headers=world.auth("uploader")
        )
        assert r.status_code == 422, (name, r.text)
        assert han.search(r.json()["error"]["message"]), r.text
    r = client.post(
        CHECK,
        files={"file": ("x.csv", HEADER.encode(), "text/csv")},
        data={"source": "nowhere"},
        headers=world.auth("officer"),
    )
    assert r.status_code == 422 and han.search(r.json()["error"]["message"])
    r = client.post(CHECK, data=AS_OF, headers=world.auth("uploader"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "missing_input"


def test_a_check_is_served_by_any_worker_and_expires(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked files are kept in the database: a second app (another API worker process) pages
    the rows and serves the report; another user's token, an expired one and one dropped beyond
    ``CHECK_KEEP`` per user all answer 404 alike."""
    import datetime as dt

    from urrbmi.db.models_imports import ImportCheck
    from urrbmi.imports import checks
    from urrbmi.interfaces.api import create_app

    def check(name: str) -> str:
        r = client.post(
            CHECK,
            files={"file": (name, messy(world), "text/csv")},
            data=AS_OF,
            headers=world.auth("uploader"),
        )
        assert r.status_code == 200, r.text
        return str(r.json()["token"])

    token = check("低保.csv")
    with TestClient(create_app(world.url)) as other:  # another worker: nothing shared in memory
        rows = other.get(f"{CHECK}/{token}/rows", headers=world.auth("uploader"))
        assert rows.status_code == 200 and rows.json()["total"] == 4
        assert other.get(f"{CHECK}/{token}/report", headers=world.auth("uploader")).status_code == 200
        assert other.get(f"{CHECK}/{token}/rows", headers=world.auth("officer")).status_code == 404
    with session_scope(world.engine) as s:  # 31 minutes later
        row = s.get(ImportCheck, token)
        assert row is not None
        row.created_at = row.created_at - dt.timedelta(minutes=31)
    gone = client.get(f"{CHECK}/{token}/rows", headers=world.auth("uploader"))
    assert gone.status_code == 404 and "重新校验" in gone.json()["error"]["message"]
    monkeypatch.setattr(checks, "CHECK_KEEP", 2)
    first, second, third = check("1.csv"), check("2.csv"), check("3.csv")
    with session_scope(world.engine) as s:
        kept = set(s.scalars(select(ImportCheck.token)).all())
    assert kept == {second, third}  # the expired one deleted, the oldest beyond two dropped
    assert client.get(f"{CHECK}/{first}/rows", headers=world.auth("uploader")).status_code == 404
