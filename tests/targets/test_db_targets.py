"""Task tables in the database, reductions, incentives, lists, funding and bulletins from a
campaign (hand-computed; SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import cast

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, Table, func, select
from world import TOWN_BAISHAN, TOWN_SUIXI, VILLAGE_A, build_changji, build_qianjiang, build_suixi

from urrbmi import ids
from urrbmi.db.models import AuditLog, Resident
from urrbmi.db.models_targets import TargetSet, TargetUnit
from urrbmi.db.session import session_scope
from urrbmi.errors import InvalidInput
from urrbmi.targets.counting import progress
from urrbmi.targets.lists import MAX_LIMIT, hardship_not_enrolled, not_enrolled, write_not_enrolled_xlsx
from urrbmi.targets.reductions import TaskReduction
from urrbmi.targets.reports import funding_report, incentive_from_db, write_bulletin_files, write_funding_xlsx
from urrbmi.targets.store import add_reductions, load_task_table, stored_table, stored_tasks
from urrbmi.targets.tables import EvidenceKind, TaskTableError, load_table

D = dt.date(2021, 11, 15)

# the 濉溪 annex as printed (seed 003): town, 户籍人口, 参保任务数
SUIXI = [
    ("濉溪镇", 94903, 93954),
    ("开发区（含濉芜产业园）", 23836, 23598),
    ("百善镇", 122266, 121043),
    ("铁佛镇", 137849, 136471),
    ("孙疃镇", 110988, 109878),
    ("南坪镇", 105375, 104321),
    ("韩村镇", 71967, 71247),
    ("五沟镇", 110448, 109344),
    ("刘桥镇", 61399, 60785),
    ("双堆集镇", 111251, 110138),
    ("临涣镇", 98552, 97566),
    ("四铺镇", 92843, 91915),
]


def test_suixi_annex_round_trips_through_the_database(engine: Engine) -> None:
    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        load_task_table(s, cid, "suixi-2022", actor="t")
    with session_scope(engine) as s:
        ts = s.scalars(select(TargetSet)).one()
        tasks = stored_tasks(s, ts)
        assert [(t.unit_name, t.base, t.original) for t in tasks] == SUIXI
        assert sum(t.task for t in tasks) == 1_130_260 and sum(t.base or 0 for t in tasks) == 1_141_677
        assert all(t.stated_task == t.original for t in tasks)
        assert tasks[0].region_code == TOWN_SUIXI and tasks[2].region_code == TOWN_BAISHAN
        assert (ts.rate, ts.base_kind, ts.base_as_of, ts.includes_employee) == (
            "0.99",
            "户籍人口",
            dt.date(2020, 12, 31),
            True,
        )
        assert stored_table(s, ts).rows == load_table("suixi-2022").rows
        assert (
            s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.table_name == "target_sets"))
            == 1
        )
        with pytest.raises(TaskTableError) as e:
            load_task_table(s, cid, "suixi-2022", actor="t")
        assert e.value.code == "target_exists"


def test_qianjiang_fixed_tasks_load_as_printed(engine: Engine) -> None:
    cid = build_qianjiang(engine)
    with session_scope(engine) as s:
        ts = load_task_table(s, cid, "qianjiang-2022", actor="t")
        tasks = stored_tasks(s, ts)
        assert len(tasks) == 30 and sum(t.task for t in tasks) == 463_000
        assert [(t.unit_name, t.original) for t in tasks] == [
            (r.region, r.task) for r in load_table("qianjiang-2022").rows
        ]
        assert all(t.base is None for t in tasks) and ts.incentive_per_person_fen == 500


def test_a_table_needs_every_unit_as_a_region(engine: Engine) -> None:
    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        s.execute(cast(Table, TargetUnit.__table__).delete())
        from urrbmi.db.models import Region

        town = s.get(Region, "340621111")
        assert town is not None
        town.name = "别的镇"
        s.flush()
        with pytest.raises(TaskTableError, match="四铺镇"):
            load_task_table(s, cid, "suixi-2022", actor="t")


def test_reductions_lower_the_task_with_evidence(engine: Engine) -> None:
    cid, numbers = build_suixi(engine)
    with session_scope(engine) as s:
        ts = load_task_table(s, cid, "suixi-2022", actor="t")
        one = TaskReduction(
            "濉溪镇", 2, EvidenceKind.OTHER_PLACE_EMPLOYEE, "异地职工-001", D, (numbers["r4"], numbers["r5"])
        )
        add_reductions(s, ts, [one], actor="t")
    with session_scope(engine) as s:
        ts = s.scalars(select(TargetSet)).one()
        first = stored_tasks(s, ts)[0]
        assert (first.original, first.reduced_by, first.task) == (93954, 2, 93952)
        logged = s.scalars(select(AuditLog.new).where(AuditLog.table_name == "target_reductions")).one()
        assert logged is not None and logged["resident_ids"] == [
            ids.mask(numbers["r4"]),
            ids.mask(numbers["r5"]),
        ]
        # the same evidence again, or evidence the notice does not list: refused, nothing stored
        with pytest.raises(TaskTableError):
            add_reductions(s, ts, [one], actor="t")
        rep = progress(s, cid, on=D, level="town")
    row = next(r for r in rep.rows if r.unit == TOWN_SUIXI)
    assert row.progress.task == 93952


def test_town_progress_against_the_suixi_tasks_counts_employee_insurance(engine: Engine) -> None:
    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        load_task_table(s, cid, "suixi-2022", actor="t")
        rep = progress(s, cid, on=D, level="town")
    assert rep.counts_employee and rep.rank_by == "completion" and rep.target_name == "suixi-2022"
    assert len(rep.rows) == 12
    first = rep.rows[0]
    # 濉溪镇: enrolled r1, r3, r6 + employee-insured r4 = 4 of 93,954; base = the annex's 94,903
    assert (first.name, first.enrolled, first.covered, first.progress.base, first.progress.task) == (
        "濉溪镇",
        3,
        4,
        94903,
        93954,
    )
    assert first.progress.remaining == 93950 and first.progress.rank == 1
    # 4 of 93,954 (濉溪镇) and 1 of 121,043 (百善镇) print as 0.00% like the ten towns with nobody
    # yet: all twelve share rank 1 (ranks follow the printed ratio)
    assert {r.progress.rank for r in rep.rows} == {1}
    assert next(r for r in rep.rows if r.name == "百善镇").covered == 1
    assert rep.total is not None
    assert (rep.total.progress.task, rep.total.progress.remaining) == (1_130_260, 1_130_255)


def test_incentive_from_the_database(engine: Engine) -> None:
    """A fixed table with small tasks: 濉溪镇 task 2 and 3 covered -> 1 × 5 = 5.00 yuan."""
    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        ts = load_task_table(s, cid, "suixi-2022", actor="t")
        for u in s.scalars(select(TargetUnit).where(TargetUnit.target_set_id == ts.id)):
            u.task = {"濉溪镇": 2, "百善镇": 1}.get(u.unit_name, 5)
        s.flush()
        lines = incentive_from_db(s, cid, on=D, per_person=Decimal(5))
    got = {ln.region: (ln.task, ln.enrolled, ln.excess, ln.amount) for ln in lines}
    assert got["濉溪镇"] == (2, 4, 2, Decimal("10.00"))  # 3 enrolled + 1 employee (task counts both)
    assert got["百善镇"] == (1, 1, 0, Decimal("0.00"))
    assert got["铁佛镇"] == (5, 0, 0, Decimal("0.00"))


def test_incentive_rate_comes_from_the_qianjiang_clause(engine: Engine) -> None:
    cid = build_qianjiang(engine)
    with session_scope(engine) as s:
        load_task_table(s, cid, "qianjiang-2022", actor="t")
        lines = incentive_from_db(s, cid, on=dt.date(2021, 12, 31))
    assert len(lines) == 30 and all(ln.amount == 0 and ln.enrolled == 0 for ln in lines)


def test_not_enrolled_list_with_last_year_and_paging(engine: Engine) -> None:
    cid, numbers = build_suixi(engine)
    with session_scope(engine) as s:
        page = not_enrolled(s, cid, on=D)
        small = not_enrolled(s, cid, on=D, limit=1, offset=1, full_ids=True)
        with pytest.raises(InvalidInput):
            not_enrolled(s, cid, on=D, limit=MAX_LIMIT + 1)
    # r2 (pays on 11-20), r5 in A; r10 in C. Not r4 (employee), r8 (elsewhere), r7 (dead)
    assert page.total == 3
    got = [(r["name"], r["last_status"], r["village_code"]) for r in page.rows]
    assert got == [
        ("居民r2", "上年已参保", VILLAGE_A),
        ("居民r5", "上年未参保", VILLAGE_A),
        ("居民r10", "上年已参保", "340621102201"),
    ]
    assert page.rows[0]["id_number"] == ids.mask(numbers["r2"]) != numbers["r2"]
    assert page.rows[0]["due"] == Decimal("320.00")  # exact yuan: a number in Excel
    assert small.total == 3 and [r["id_number"] for r in small.rows] == [numbers["r5"]]


def _households(engine: Engine, numbers: dict[str, str]) -> None:
    """r1 (paid), r2 and r5 live in household H1 whose head r1 is r5's guardian; r10 alone in H2."""
    with session_scope(engine) as s:
        by = {k: s.scalars(select(Resident).where(Resident.id_number == n)).one() for k, n in numbers.items()}
        for k in ("r1", "r2", "r5"):
            by[k].household_id = "H1"
        by["r5"].guardian_id = by["r1"].id
        by["r10"].household_id = "H2"


def test_not_enrolled_list_by_town_and_village_with_household_head(engine: Engine) -> None:
    cid, numbers = build_suixi(engine)
    _households(engine, numbers)
    with session_scope(engine) as s:
        village = not_enrolled(s, cid, on=D, scope=VILLAGE_A)
        town = not_enrolled(s, cid, on=D, scope=TOWN_BAISHAN)
    assert [r["name"] for r in village.rows] == ["居民r2", "居民r5"] and village.total == 2
    assert village.title.startswith(village.rows[0]["village"])  # the title says where
    assert [r["name"] for r in town.rows] == ["居民r10"]
    assert {"village", "household_head", "phone", "last_status", "due"} <= set(village.keys)
    # r1 is r5's guardian: the head of H1 although r2 is listed; r10 heads H2 alone
    assert [r["household_head"] for r in (*village.rows, *town.rows)] == ["居民r1", "居民r1", "居民r10"]


def test_not_enrolled_excel_has_every_row_and_amounts_as_numbers(engine: Engine, tmp_path: Path) -> None:
    cid, numbers = build_suixi(engine)
    _households(engine, numbers)
    with session_scope(engine) as s:
        path, n = write_not_enrolled_xlsx(s, cid, tmp_path / "未参保.xlsx", on=D, scope=TOWN_SUIXI)
    ws = load_workbook(path).active
    assert ws is not None and n == 2
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[2])
    assert head[:6] == ["村（社区）", "区划代码", "户主", "姓名", "身份证号", "联系电话"]
    assert head[6:] == ["上年参保情况", "个人应缴（元）"]
    assert [r[3] for r in rows[3:]] == ["居民r2", "居民r5"]
    due = ws.cell(row=4, column=8)
    assert due.data_type == "n" and due.value == 320 and due.number_format == "0.00"
    assert rows[3][1] == VILLAGE_A and rows[3][2] == "居民r1"
    assert "*" in str(rows[3][4])  # masked unless full_ids


def test_hardship_list_has_the_staged_deadline(engine: Engine) -> None:
    cid, numbers = build_changji(engine)
    with session_scope(engine) as s:
        page = hardship_not_enrolled(s, cid, on=dt.date(2022, 11, 20))
    assert page.total == 1
    row = page.rows[0]
    assert (row["name"], row["deadline"], row["days_left"]) == ("居民h1", "2022-11-30", "10")
    assert row["id_number"] == ids.mask(numbers["h1"])


def test_funding_suixi_financing_900(engine: Engine, tmp_path: Path) -> None:
    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        rep = funding_report(s, cid, on=D)
        later = funding_report(s, cid, on=dt.date(2021, 12, 31))
    assert rep.enrolled == 4 and rep.financing_per_person == Decimal("900.00")
    lines = {(ln.section, ln.item): ln for ln in rep.lines}
    sub = lines[("资助参保", "特困人员")]
    assert (sub.persons, sub.amount, sub.funder) == (1, Decimal("320.00"), "同级财政")
    fiscal = lines[("财政补助", "财政补助（通知未分级）")]
    assert (fiscal.persons, fiscal.per_person, fiscal.amount) == (4, Decimal("580.00"), Decimal("2320.00"))
    # paid by 11-15: r1, r6, r7, r9 (4 × 320); r6's refund is done only on 12-01
    assert lines[("个人缴费", "个人缴费实收（已缴减已退）")].amount == Decimal("1280.00")
    assert rep.total == Decimal("3920.00")
    # by 12-31: r2 paid too, r6 refunded: 5 × 320 − 320
    assert [ln.amount for ln in later.lines if ln.section == "个人缴费"] == [Decimal("1280.00")]
    path = write_funding_xlsx(rep, tmp_path / "f.xlsx")
    ws = load_workbook(path).active
    assert ws is not None and ws["A3"].value == "项目" and ws["F4"].number_format == "#,##0.00"


def test_funding_changji_fiscal_split_by_level(engine: Engine) -> None:
    cid, _ = build_changji(engine)
    with session_scope(engine) as s:
        rep = funding_report(s, cid, on=dt.date(2022, 11, 20))
    fiscal = {ln.item: ln.amount for ln in rep.lines if ln.section == "财政补助"}
    # h2 and g1 enrolled: 2 × 488 / 73.2 / 98.8
    assert fiscal == {
        "中央财政": Decimal("976.00"),
        "自治区财政": Decimal("146.40"),
        "县市财政": Decimal("197.60"),
    }
    sub = [ln for ln in rep.lines if ln.section == "资助参保"]
    assert [(ln.item, ln.amount, ln.funder) for ln in sub] == [
        ("低保对象", Decimal("380.00"), "医疗救助资金")
    ]
    assert [ln.amount for ln in rep.lines if ln.section == "个人缴费"] == [Decimal("380.00")]


def test_bulletin_from_the_database(engine: Engine, tmp_path: Path) -> None:
    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        load_task_table(s, cid, "suixi-2022", actor="t")
        files = write_bulletin_files(s, cid, tmp_path, on=D, charts=True)
    ws = load_workbook(files.xlsx).active
    assert ws is not None
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "濉溪镇" in cells and 93954 in cells and 1130260 in cells
    assert "濉溪镇" in files.html.read_text("utf-8")
    assert [p.name.rsplit("-", 1)[1] for p in files.charts] == [
        "progress.png",
        "burnup.png",
        "composition.png",
    ]
    assert all(p.stat().st_size > 1000 for p in files.charts)


def test_identity_changed_after_payment_is_listed_by_scope(engine: Engine) -> None:
    from urrbmi.db.models import Membership, Resident
    from urrbmi.targets.lists import identity_changed

    cid, numbers = build_changji(engine)
    with session_scope(engine) as s:
        rid = s.scalar(select(Resident.id).where(Resident.id_number == numbers["g1"]))
        assert rid is not None
        s.add(
            Membership(
                resident_id=rid,
                category_code="dibao",
                source_department="minzheng",
                valid_from=dt.date(2022, 11, 10),
            )
        )
    on = dt.date(2022, 11, 20)
    with session_scope(engine) as s:
        page = identity_changed(s, cid, on=on, actor="t")
        inside = identity_changed(s, cid, on=on, actor="t", scope="652301001")
        outside = identity_changed(s, cid, on=on, actor="t", scope="652302")
    assert page.total == 1 and inside.total == 1 and outside.total == 0
    row = page.rows[0]
    assert (row["name"], row["id_number"], row["new"], row["action"]) == (
        "居民g1",
        ids.mask(numbers["g1"]),
        "dibao",
        "refund",
    )
    assert row["amount"] == "340.00"  # 昌吉 补发资助参保金: paid 380, due 40 as 低保


def test_a_target_rate_per_school_from_the_rules(engine: Engine) -> None:
    from urrbmi.targets.store import load_rate

    cid, _ = build_suixi(engine)
    with session_scope(engine) as s:
        load_rate(s, cid, "taixing-2022-students", actor="t", unit="school", group="students")
        rep = progress(s, cid, on=D, level="school")
    assert rep.target_name == "taixing-2022-students" and rep.target_rate == Decimal(1)
    assert [
        (r.unit, r.progress.base, r.enrolled, r.progress.required, r.progress.remaining) for r in rep.rows
    ] == [("濉溪中学", 2, 1, 2, 1)]


def test_fengdu_low_income_deadline_is_the_end_of_the_centralized_window(engine: Engine) -> None:
    from world import World, campaign

    from urrbmi.db.models import Region

    with session_scope(engine) as s:
        for code, name, level, parent in [
            ("500000", "重庆市", "province", None),
            ("500230", "丰都县", "county", "500000"),
            ("500230108", "社坛镇", "town", "500230"),
            ("500230108201", "社坛村", "village", "500230108"),
        ]:
            s.add(Region(code=code, name=name, level=level, parent_code=parent))
            s.flush()
        cid = campaign(s, "fengdu-shetan-2023", "500230108")
        w = World(s, cid, 2023)
        w.resident("d1", "500230108201", {"cats": "dibao"})
        w.resident("n1", "500230108201")
    with session_scope(engine) as s:
        page = hardship_not_enrolled(s, cid, on=dt.date(2022, 12, 1))
        late = hardship_not_enrolled(s, cid, on=dt.date(2023, 1, 5))
    assert [(r["name"], r["group"], r["deadline"], r["days_left"]) for r in page.rows] == [
        ("居民d1", "低收入人口参保率100%", "2022-12-31", "30")
    ]
    assert late.rows[0]["days_left"] == "-5"


def test_funding_on_an_engine_assessed_campaign_names_each_subsidy_funder(tmp_path: Path) -> None:
    """Real assessments (not hand-made rows): the subsidy lines carry the policy's funder, found
    through the category code the engine stores beside the notice's name."""
    from urrbmi.db.session import open_db, session_scope
    from urrbmi.interfaces.demo_campaign import run_demo_campaign
    from urrbmi.targets.reports import funding_report

    run_demo_campaign(tmp_path / "d.sqlite", tmp_path / "out", scale=0.001, seed=5)
    engine = open_db(f"sqlite:///{tmp_path / 'd.sqlite'}")
    with session_scope(engine) as s:
        report = funding_report(s, 1, on=dt.date(2021, 12, 15))
    subs = [ln for ln in report.lines if ln.section == "资助参保"]
    assert subs, "the demo county has subsidised residents"
    assert {ln.funder for ln in subs} <= {"同级财政", "医疗救助资金"}, [ln.funder for ln in subs]
