"""Bounds on department lists over the API (issue 13, class 4): the list date, replaces that end
too much, the size of uploads and bodies, over-long lines and cells, what a check stores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apiworld import World
from deptlists import HEADER, messy, minzheng_csv
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from urrbmi.db.models import Membership, Resident
from urrbmi.db.models_imports import ImportBatch, ImportCheck, ImportFile
from urrbmi.db.session import session_scope

LISTS = "/api/v1/imports/lists"
CHECK = LISTS + "/check"


def count(world: World, model: type) -> int:
    with session_scope(world.engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def stored_check_bytes(world: World) -> int:
    """What import_checks holds: the report's bytes plus the problem rows' text."""
    with session_scope(world.engine) as s:
        return sum(len(c.report) + len(str(c.rows)) for c in s.scalars(select(ImportCheck)))


def open_dibao(world: World) -> int:
    """Open 低保 identities of town A's first resident (apiworld gives one)."""
    with session_scope(world.engine) as s:
        rid = s.scalar(select(Resident.id).where(Resident.id_number == world.people_a[0]))
        return int(
            s.scalar(
                select(func.count())
                .select_from(Membership)
                .where(Membership.resident_id == rid, Membership.valid_to.is_(None))
            )
            or 0
        )


def post(client: TestClient, world: World, url: str, data: bytes, **form: str) -> Response:
    r: Response = client.post(
        url, files={"file": ("低保.csv", data, "text/csv")}, data=form, headers=world.auth("officer")
    )
    return r


def bilingual(r: Response, code: str) -> dict[str, str]:
    err = r.json()["error"]
    assert err["code"] == code, err
    assert err["message"] and err["message_en"] and err["message"] != err["message_en"]
    return dict(err)


# --- the list date ------------------------------------------------------------------------------


def test_far_future_list_date_is_refused_and_does_not_block_the_source(
    world: World, client: TestClient
) -> None:
    data = minzheng_csv([(world.people_a[1], "王二")])
    for url in (CHECK, LISTS):
        r = post(client, world, url, data, source="minzheng", as_of="2099-12-31")
        assert r.status_code == 422, r.text
        err = bilingual(r, "list_date_out_of_range")
        assert "2099-12-31" in err["message"] and "URRBMI_LIST_FUTURE_DAYS" in err["message_en"]
    assert count(world, ImportBatch) == 0 and count(world, ImportCheck) == 0
    r = post(client, world, LISTS, data, source="minzheng", as_of="2015-12-31")
    assert r.status_code == 422 and bilingual(r, "list_date_out_of_range")
    # an ordinary list of the source still loads in replace mode (the old code: list_out_of_order,
    # the 2099 list being the newest); its one row is invalid, so it ends the 低保 identity: confirmed
    r = post(client, world, LISTS, data, source="minzheng", as_of="2021-10-31", confirm_removals="true")
    assert r.status_code == 200, r.text


# --- destructive replaces -----------------------------------------------------------------------


def test_header_only_replace_asks_for_confirmation(world: World, client: TestClient) -> None:
    empty = HEADER.encode("gb18030")
    assert open_dibao(world) == 1
    r = post(client, world, LISTS, empty, source="minzheng", as_of="2021-10-31")
    assert r.status_code == 409, r.text
    err = bilingual(r, "confirm_removals")
    assert "1/1" in err["message"] and "1 of 1" in err["message_en"]
    assert open_dibao(world) == 1 and count(world, ImportBatch) == 0  # nothing changed
    r = post(client, world, LISTS, empty, source="minzheng", as_of="2021-10-31", mode="add")
    assert r.status_code == 200 and open_dibao(world) == 1
    r = post(
        client, world, LISTS, empty + b"\r\n", source="minzheng", as_of="2021-10-31", confirm_removals="true"
    )
    assert r.status_code == 200, r.text
    assert r.json()["lost"] == {"dibao": 1} and open_dibao(world) == 0


# --- sizes --------------------------------------------------------------------------------------


def test_a_50_mb_one_line_csv_is_refused_before_parsing_and_nothing_is_stored(
    world: World, client: TestClient
) -> None:
    line = ("序号,姓名,性别,身份证号码,人员类别,所属乡镇,认定时间," + "甲" * 50_000_000)[
        : 50 * 1024 * 1024 // 3
    ]
    data = line.encode("utf-8")
    assert len(data) >= 49 * 1024 * 1024
    r = post(client, world, CHECK, data, source="minzheng", as_of="2021-10-31")
    assert r.status_code == 413, r.text[:300]
    err = bilingual(r, "too_large")
    assert "URRBMI_MAX_LINE_CHARS" in err["message_en"] and "URRBMI" not in err["message"]
    assert count(world, ImportCheck) == 0 and stored_check_bytes(world) == 0
    r = post(client, world, LISTS, data, source="minzheng", as_of="2021-10-31")
    assert r.status_code == 413 and count(world, ImportFile) == 0


def test_uploads_over_the_size_limit_are_413(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URRBMI_MAX_UPLOAD_MB", "1")
    big = minzheng_csv([(world.people_a[1], "王二")]) + b"\n" * (3 * 1024 * 1024)
    for url in (CHECK, LISTS, f"/api/v1/campaigns/{world.campaign_id}/payments/import"):
        r = post(client, world, url, big, source="minzheng", as_of="2021-10-31", channel="bank")
        assert r.status_code == 413, (url, r.text)
        assert "URRBMI_MAX_UPLOAD_MB" in bilingual(r, "too_large")["message_en"]
    assert count(world, ImportCheck) == 0 and count(world, ImportFile) == 0


def test_a_body_without_length_is_counted_as_it_arrives(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URRBMI_MAX_BODY_MB", "1")

    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length to refuse up front
        yield b'{"id_number": "'
        for _ in range(64):
            yield b"1" * 65_536
        yield b'"}'

    headers = {**world.auth("officer"), "Content-Type": "application/json"}
    r = client.post("/api/v1/residents/lookup", content=chunks(), headers=headers)
    assert r.status_code == 413, r.text
    assert "URRBMI_MAX_BODY_MB" in bilingual(r, "too_large")["message_en"]


# --- cells and what a check keeps ---------------------------------------------------------------


def test_an_over_long_cell_is_a_row_problem(world: World, client: TestClient) -> None:
    a = world.people_a
    text = minzheng_csv([(a[1], "王二")]).decode("gb18030")
    long_name = "张" * 5000
    text += f"2,{long_name},男,{a[2]},低保对象,城西街道,2021-01-01\n"
    r = post(client, world, CHECK, text.encode("gb18030"), source="minzheng", as_of="2021-10-31")
    assert r.status_code == 200, r.text
    items = r.json()["problems"]["items"]
    long_rows = [i for i in items if i["code"] == "cell_too_long"]
    assert [i["row"] for i in long_rows] == [3] and long_rows[0]["column"] == "姓名"
    assert len(long_rows[0]["value"]) <= 51 and "URRBMI_MAX_CELL_CHARS" in long_rows[0]["reason_en"]
    assert long_name not in str(items) and stored_check_bytes(world) < 200_000


def test_a_check_keeps_a_bounded_number_of_problem_rows(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URRBMI_CHECK_KEEP_ROWS", "2")
    r = post(client, world, CHECK, messy(world), source="minzheng", as_of="2021-10-31")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["counts"]["problem_rows"] == 4 and body["problems"]["total"] == 2
    with session_scope(world.engine) as s:
        (c,) = s.scalars(select(ImportCheck)).all()
        assert len(c.rows) == 2
