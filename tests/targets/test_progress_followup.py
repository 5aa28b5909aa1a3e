"""Issue 18 items 2-6, each named after the clause it implements (SQLite and PostgreSQL): group
targets, a county's own task tables, department list deadlines, the bulletin archive and funding
by level."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from world import (
    TOWN_SUIXI,
    VILLAGE_A,
    VILLAGE_C,
    World,
    build_changji,
    build_qianjiang,
    build_suixi,
    campaign,
    stamp,
)

from urrbmi.db.models import Region
from urrbmi.db.models_imports import ImportBatch, ImportFile
from urrbmi.db.models_progress import BulletinIssue
from urrbmi.db.models_targets import TargetSet
from urrbmi.db.session import session_scope
from urrbmi.imports.report import ERROR_HEADERS
from urrbmi.targets import archive, deadlines, groups, levels, uploads
from urrbmi.targets.counting import progress
from urrbmi.targets.store import load_task_table, stored_tasks
from urrbmi.targets.tables import TaskTableError

d = dt.date


def _regions(s: Session, rows: list[tuple[str, str, str, str | None]]) -> None:
    for code, name, level, parent in rows:
        s.add(Region(code=code, name=name, level=level, parent_code=parent))
        s.flush()


def _fengdu(engine: Engine) -> int:
    """社坛镇: d1 低保 paid 2022-12-20 (in the window), d2 低保 paid 2023-01-05 (after it), n1 and
    n2 ordinary, n1 paid 2022-11-01."""
    v1, v2 = "500230108201", "500230108202"
    with session_scope(engine) as s:
        _regions(
            s,
            [
                ("500000", "重庆市", "province", None),
                ("500230", "丰都县", "county", "500000"),
                ("500230108", "社坛镇", "town", "500230"),
                (v1, "社坛村", "village", "500230108"),
                (v2, "白沙村", "village", "500230108"),
            ],
        )
        cid = campaign(s, "fengdu-shetan-2023", "500230108")
        w = World(s, cid, 2023)
        d1 = w.resident("d1", v1, {"cats": "dibao"})
        w.paid_enrollment(d1, d(2022, 12, 20), v1)
        d2 = w.resident("d2", v2, {"cats": "dibao"})
        w.paid_enrollment(d2, d(2023, 1, 5), v2)
        n1 = w.resident("n1", v1)
        w.paid_enrollment(n1, d(2022, 11, 1), v1)
        w.resident("n2", v2)
        return cid


# --- item 2: group targets ---------------------------------------------------------------------


def test_changji_7_hardship_groups_by_11_30_counted_at_the_deadline(engine: Engine) -> None:
    cid, _ = build_changji(engine)
    with session_scope(engine) as s:
        got = groups.group_progress(s, cid, on=d(2022, 12, 10))
    hardship, others = got
    assert hardship.target.deadline == d(2022, 11, 30) and hardship.counted_on == d(2022, 11, 30)
    assert hardship.days_left == -10 and groups.deadline_text(hardship.days_left) == "已逾期10天"
    t = hardship.total
    assert t is not None and (t.progress.base, t.enrolled, t.progress.required, t.progress.remaining) == (
        2,
        1,
        2,
        1,
    )
    # 其他城乡居民: everyone not in the hardship categories, counted at the report date
    o = others.total
    assert others.counted_on == d(2022, 12, 10) and others.days_left == 52
    assert o is not None and (o.progress.base, o.enrolled, o.progress.remaining) == (3, 2, 1)


def test_fengdu_1_low_income_100_percent_within_the_window(engine: Engine) -> None:
    cid = _fengdu(engine)
    with session_scope(engine) as s:
        everyone, low = groups.group_progress(s, cid, on=d(2023, 1, 10))
    # d2 paid on 2023-01-05, after the window (2022-10-25..12-31): enrolled, but not toward this target
    assert low.target.group == "low_income" and low.target.deadline == d(2022, 12, 31)
    assert low.counted_on == d(2022, 12, 31) and low.days_left == -10
    assert [(r.name, r.progress.base, r.enrolled, r.progress.meets_target) for r in low.rows] == [
        ("社坛村", 1, 1, True),
        ("白沙村", 1, 0, False),
    ]
    assert low.total is not None and low.total.progress.remaining == 1 and not low.met
    # everyone, per village, at the report date: d2 counts here
    assert everyone.counted_on == d(2023, 1, 10)
    assert {(r.name, r.enrolled, r.progress.base) for r in everyone.rows} == {
        ("社坛村", 2, 2),
        ("白沙村", 1, 2),
    }


def test_taixing_2_students_per_school_and_towns_at_98_5_counted_apart(engine: Engine) -> None:
    v = "321283100001"
    with session_scope(engine) as s:
        _regions(
            s,
            [
                ("320000", "江苏省", "province", None),
                ("321283", "泰兴市", "county", "320000"),
                ("321283100", "济川街道", "town", "321283"),
                (v, "济川村", "village", "321283100"),
            ],
        )
        cid = campaign(s, "taixing-2022", "321283")
        w = World(s, cid, 2022)
        for k in ("g1", "g2"):
            w.paid_enrollment(w.resident(k, v), d(2021, 11, 1), v)
        w.resident("g3", v)
        w.paid_enrollment(w.resident("s1", v, student="school", school_name="济川中学"), d(2021, 10, 1), v)
        w.resident("s2", v, student="school", school_name="济川中学")
        w.paid_enrollment(w.resident("s3", v, student="school", school_name="襟江小学"), d(2021, 10, 1), v)
    with session_scope(engine) as s:
        general, students, everyone = groups.group_progress(s, cid, on=d(2021, 12, 1))
    # ordinary residents per town, 98.5%: 3 non-students, 2 enrolled; 985‰ of 3 needs all 3
    assert general.target.rate == Decimal("0.985") and general.target.unit == "town"
    assert [(r.name, r.progress.base, r.enrolled, r.progress.required) for r in general.rows] == [
        ("济川街道", 3, 2, 3)
    ]
    # students per school, 100%: the school with everyone enrolled ranks first
    assert [(r.name, r.progress.base, r.enrolled, r.progress.meets_target) for r in students.rows] == [
        ("襟江小学", 1, 1, True),
        ("济川中学", 2, 1, False),
    ]
    assert students.target.deadline == d(2021, 12, 31) and students.days_left == 30
    assert everyone.total is not None and (everyone.total.progress.base, everyone.total.enrolled) == (6, 4)


# --- item 3: a county's own task tables --------------------------------------------------------


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_fengdu_annex_1_village_tasks_from_excel_loaded_versioned_and_replaced(engine: Engine) -> None:
    cid = _fengdu(engine)
    v1 = _xlsx(
        [
            ["附件1 社坛镇2023年度城乡居民医保参保任务表"],
            ["序号", "村（社区）", "户籍人数", "参保任务数"],
            [1, "社坛村", 2, 2],
            [2, "白沙村", 2, 2],
            ["合计", "", 4, 4],
        ]
    )
    with session_scope(engine) as s:
        ts, ver = uploads.load_task_upload(
            s,
            cid,
            v1,
            "附件1.xlsx",
            name="shetan-2023-villages",
            title="社坛镇参保任务",
            level="village",
            actor="t",
        )
        assert ver.version == 1 and ver.task_total == 4
        rep = progress(s, cid, on=d(2023, 1, 10), level="village", target="shetan-2023-villages")
    assert [(r.name, r.progress.task, r.enrolled) for r in rep.rows] == [("社坛村", 2, 2), ("白沙村", 2, 1)]
    v2 = _xlsx([["序号", "村（社区）", "参保任务数"], [1, "社坛村", 3], [2, "白沙村", 2]])
    with session_scope(engine) as s, pytest.raises(TaskTableError) as e:
        uploads.load_task_upload(
            s, cid, v2, "v2.xlsx", name="shetan-2023-villages", title="x", level="village", actor="t"
        )
    assert e.value.code == "target_exists"
    with session_scope(engine) as s:
        uploads.load_task_upload(
            s,
            cid,
            v2,
            "v2.xlsx",
            name="shetan-2023-villages",
            title="x",
            level="village",
            actor="t",
            replace=True,
        )
        vs = uploads.task_versions(s, cid)
        assert [(v.version, v.status, v.task_total) for v in vs] == [(1, "replaced", 4), (2, "current", 5)]
        assert uploads.version_file(s, cid, "shetan-2023-villages", 1).content == v1
        ts = s.scalars(select(TargetSet).where(TargetSet.name == "shetan-2023-villages")).one()
        assert [t.task for t in stored_tasks(s, ts)] == [3, 2]


def test_task_table_errors_reported_like_the_department_lists(engine: Engine, tmp_path: Path) -> None:
    cid = _fengdu(engine)
    csv = "村（社区）,户籍人数,参保任务数\n社坛村,2,2\n白沙材,2,2\n社坛村,3,3\n社坛村2,x,1\n,1,1\n".encode()
    csv += "白沙村,2,3\n".encode()
    with session_scope(engine) as s, pytest.raises(uploads.TaskUploadError) as e:
        uploads.load_task_upload(s, cid, csv, "t.csv", name="bad", title="x", level="village", actor="t")
    up = e.value.upload
    assert [(p.row, p.code) for p in up.problems] == [
        (3, "unknown_unit"),
        (4, "duplicate_unit"),
        (5, "unknown_unit"),
        (6, "missing_unit"),
        (7, "task_above_base"),
    ]
    assert "是否指：白沙村" in up.problems[0].zh and e.value.http_status == 422
    with session_scope(engine) as s:
        assert s.scalar(select(TargetSet).where(TargetSet.name == "bad")) is None
    ws = load_workbook(uploads.write_upload_report(up, tmp_path / "r.xlsx"))["错误明细"]
    assert [c.value for c in ws[1]] == list(ERROR_HEADERS) and ws["A2"].value == 3


def test_qianjiang_4_village_split_adds_up_to_the_town_task(engine: Engine) -> None:
    cid = build_qianjiang(engine)
    with session_scope(engine) as s:
        load_task_table(s, cid, "qianjiang-2022", actor="t")
        town = stored_tasks(s, s.scalars(select(TargetSet)).one())[0]
        _regions(s, [(f"{town.region_code}001", "甲村", "village", town.region_code),
                     (f"{town.region_code}002", "乙村", "village", town.region_code)])  # fmt: skip
    half = town.task // 2
    bad = f"乡镇,村,任务数\n{town.unit_name},甲村,{half}\n{town.unit_name},乙村,{half - 1}\n".encode()
    with session_scope(engine) as s, pytest.raises(uploads.TaskUploadError) as e:
        uploads.load_task_upload(
            s, cid, bad, "v.csv", name="qj-villages", title="x", level="village", actor="t"
        )
    assert [p.code for p in e.value.upload.problems] == ["split_mismatch"]
    good = (
        f"乡镇,村,任务数\n{town.unit_name},甲村,{half}\n{town.unit_name},乙村,{town.task - half}\n".encode()
    )
    with session_scope(engine) as s:
        _, ver = uploads.load_task_upload(
            s, cid, good, "v.csv", name="qj-villages", title="x", level="village", actor="t"
        )
    assert ver.task_total == town.task


# --- item 4: department list deadlines ---------------------------------------------------------


def _batch(s: Session, source: str, day: dt.date, n: int) -> None:
    sha = f"{n:064d}"
    s.add(ImportFile(sha256=sha, size=1, content=b"x"))
    s.flush()
    s.add(
        ImportBatch(
            source=source, kind="list", mode="replace", file_name="f.xlsx", sha256=sha, size=1, format="xlsx",
            encoding=None, as_of=day, scope="", status="loaded", data_rows=1, counts={}, actor="t",
            created_at=stamp(day),
        )
    )  # fmt: skip
    s.flush()


def test_suixi_6_3_lists_by_10_29_then_12_31_then_monthly_by_the_10th(engine: Engine) -> None:
    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        _batch(s, "minzheng", d(2021, 10, 20), 1)
        _batch(s, "xiangcun", d(2021, 11, 2), 2)
        _batch(s, "minzheng", d(2022, 1, 12), 3)
    with session_scope(engine) as s:
        now = deadlines.list_deadlines(s, cid, on=d(2021, 11, 15))
        later = deadlines.list_deadlines(s, cid, on=d(2022, 2, 1))
    first = {(x.department, x.status, x.days) for x in now if x.due == d(2021, 10, 29)}
    assert first == {
        ("民政部门", "received", 0),
        ("乡村振兴部门", "late", 4),
        ("卫生健康部门", "missing", 17),
        ("退役军人事务部门", "missing", 17),
    }
    pending = [x for x in now if x.due == d(2021, 12, 31) and x.department == "卫生健康部门"]
    assert pending[0].status == "pending" and pending[0].status_zh == "未到期（剩余46天）"
    assert all(x.region == "濉溪县" for x in now)
    assert {x.status for x in now if x.due.year == 2022} == {"pending"}  # the next monthly due date
    monthly = {(x.department, x.due, x.status) for x in later if x.list_name.startswith("动态调整")}
    assert monthly == {
        ("民政部门", d(2022, 1, 10), "late"),
        ("乡村振兴部门", d(2022, 1, 10), "missing"),
        ("民政部门", d(2022, 2, 10), "pending"),
        ("乡村振兴部门", d(2022, 2, 10), "pending"),
    }
    assert deadlines.summary(now)["missing"] == 2


def _rid(s: Session, key: str) -> int:
    from urrbmi.db.models import Resident

    rid = s.scalar(select(Resident.id).where(Resident.name == f"居民{key}"))
    assert rid is not None
    return int(rid)


# --- item 5: bulletins on a schedule, archived, reproducible ----------------------------------


def test_fengdu_8_3_half_monthly_bulletin_reissued_from_the_ledger_gives_the_archived_figures(
    engine: Engine,
) -> None:
    cid, _ = build_suixi(engine)
    on = d(2021, 11, 15)
    with session_scope(engine) as s:
        issued = archive.issue(s, cid, on=on, actor="t")
        iid, figures = issued.id, issued.figures
    assert figures["as_of"] == "2021-11-15" and any(r["unit"] == "濉溪镇" for r in figures["rows"])
    # the ledger changes after the date: r5 pays on 11-20
    with session_scope(engine) as s:
        w = World(s, cid, 2022)
        w.ref = 100
        w.paid_enrollment(_rid(s, "r5"), d(2021, 11, 20), VILLAGE_A)
    with session_scope(engine) as s:
        assert archive.recheck(s, cid, iid).same
        _, again = archive.render(s, cid, on=on)
        assert again["rows"] == figures["rows"]
        with pytest.raises(archive.BulletinExists):
            archive.issue(s, cid, on=on, actor="t")
        with pytest.raises(archive.BulletinExists):  # the county's own prefix is the same bulletin
            archive.issue(s, cid, on=on, actor="t", scope="340621")
        assert [x.id for x in archive.issued(s, cid, scope="340621")] == [iid]
    # a back-dated record changes the date's figures: named, not hidden
    with session_scope(engine) as s:
        w = World(s, cid, 2022)
        w.ref = 200
        w.paid_enrollment(_rid(s, "r10"), d(2021, 11, 1), VILLAGE_C)
    with session_scope(engine) as s:
        check = archive.recheck(s, cid, iid)
        row = s.get(BulletinIssue, iid)
        assert row is not None and row.xlsx[:2] == b"PK" and "通报" in row.html
        assert [x.id for x in archive.issued(s, cid)] == [iid] and archive.issued(
            s, cid, scope=TOWN_SUIXI
        ) == []
    assert not check.same and any(x.startswith("百善镇 已参保") for x in check.differences)


def test_fengdu_8_3_bulletin_schedule_is_half_monthly(engine: Engine) -> None:
    cid = _fengdu(engine)
    with session_scope(engine) as s:
        archive.issue(s, cid, on=d(2022, 11, 15), actor="t", level="village")
        sch, due = archive.schedule(s, cid, until=d(2022, 12, 1))
    assert sch is not None and "半月" in sch.label
    assert [(x.on, x.issue_id is not None) for x in due] == [
        (d(2022, 10, 31), False),
        (d(2022, 11, 15), True),
        (d(2022, 11, 30), False),
    ]


# --- item 6: funding by level from the ledger -------------------------------------------------


def test_changji_2_county_share_by_12_31_and_5_critical_illness_145(engine: Engine) -> None:
    cid, _ = build_changji(engine)
    with session_scope(engine) as s:
        f = levels.funding_by_level(s, cid, on=d(2022, 12, 10))
    # enrolled at 12-10: h2 (subsidy), g1, g3; none paid a fiscal portion of their own
    assert f.enrolled == 3
    assert [(x.label, x.per_person, x.persons, x.owed) for x in f.shares] == [
        ("中央财政", Decimal("488"), 3, Decimal("1464.00")),
        ("自治区财政", Decimal("73.2"), 3, Decimal("219.60")),
        ("县市财政", Decimal("98.8"), 3, Decimal("296.40")),
    ]
    county = f.shares[2]
    assert county.deadline == d(2022, 12, 31) and county.status == "not_due" and county.days_left == 21
    assert f.shares[0].status == "no_deadline"
    assert f.critical_illness_per_person == Decimal("145") and f.critical_illness_amount == Decimal("435.00")
    assert [(x.funder, x.persons) for x in f.funders] == [("医疗救助资金", 1)]
    with session_scope(engine) as s:
        levels.record_funding_payment(
            s,
            cid,
            level="county",
            amount=Decimal("200.00"),
            paid_on=d(2022, 12, 20),
            reference="拨-1",
            actor="t",
        )
        with pytest.raises(levels.FundingPaymentError):
            levels.record_funding_payment(
                s,
                cid,
                level="provincial",
                amount=Decimal("1"),
                paid_on=d(2022, 12, 20),
                reference="拨-2",
                actor="t",
            )
    with session_scope(engine) as s:
        jan = levels.funding_by_level(s, cid, on=d(2023, 1, 5)).shares[2]
    assert jan.status == "overdue" and "尚差" in jan.status_zh  # g3 was already counted; 200 < 296.40
    with session_scope(engine) as s:
        levels.record_funding_payment(
            s,
            cid,
            level="county",
            amount=Decimal("96.40"),
            paid_on=d(2023, 1, 3),
            reference="拨-3",
            actor="t",
        )
    with session_scope(engine) as s:
        late = levels.funding_by_level(s, cid, on=d(2023, 1, 5)).shares[2]
        with pytest.raises(levels.FundingPaymentError):
            levels.record_funding_payment(
                s,
                cid,
                level="county",
                amount=Decimal("1.001"),
                paid_on=d(2023, 1, 3),
                reference="拨-4",
                actor="t",
            )
    assert (
        late.status == "paid_late"
        and late.paid == Decimal("296.40")
        and late.paid_by_deadline == Decimal("200.00")
    )


# --- shown in the reports: the bulletin's notes ------------------------------------------------


def test_suixi_6_3_missing_lists_are_shown_in_the_bureau_bulletin(engine: Engine) -> None:
    from urrbmi.targets.reports import bulletin_from_db

    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        _batch(s, "minzheng", d(2021, 10, 20), 1)
        county, _ = bulletin_from_db(s, cid, on=d(2021, 11, 15))
        town, _ = bulletin_from_db(s, cid, on=d(2021, 11, 15), scope=TOWN_SUIXI)
    lists = [n for n in county.notes if n.startswith("部门名单")]
    assert (
        "部门名单：卫生健康部门应于2021-10-29前报送计划生育特殊困难家庭成员9月份在册名单，未报送（已逾期17天）（濉溪 六（三））。"
        in lists
    )
    assert len(lists) == 3 and not [n for n in town.notes if n.startswith("部门名单")]


def test_changji_7_hardship_deadline_is_shown_in_the_bulletin(engine: Engine) -> None:
    from urrbmi.targets.reports import bulletin_from_db

    cid, _ = build_changji(engine)
    with session_scope(engine) as s:
        b, _ = bulletin_from_db(s, cid, on=d(2022, 12, 10), target_rate=Decimal(1))
    assert any(
        n.startswith("城乡特困人员（含孤儿）")
        and "已参保1人/应参保2人（50.00%），距目标差1人；截止2022-11-30，已逾期10天" in n
        for n in b.notes
    )


def test_suixi_6_3_monthly_lists_missing_are_summed_up_in_the_bulletin(engine: Engine) -> None:
    from urrbmi.targets.reports import followup_notes

    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        notes = followup_notes(s, cid, on=d(2022, 3, 15))
    monthly = {n for n in notes if "动态调整人员信息" in n}
    assert monthly == {
        "部门名单：民政部门报送动态调整人员信息（每月），未报送3次（01-10、02-10、03-10到期）（濉溪 六（三））。",
        "部门名单：乡村振兴部门报送动态调整人员信息（每月），未报送3次（01-10、02-10、03-10到期）（濉溪 六（三））。",
    }
