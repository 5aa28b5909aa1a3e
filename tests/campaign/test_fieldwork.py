"""A village agent's round (issue 15 item 1) and 医保电子凭证 activation (item 2), on SQLite and
PostgreSQL: the worklist by household with search and filters (state from resident_state), the
household's amounts due (the statement), several members paid at once (all or nothing), visit
outcomes feeding a task reduction with the outcome as evidence, reminders with phone numbers, and
activation lists with their bad rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from dbfixtures import ACTOR, person, setup_regions
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select

from urrbmi.access.errors import Forbidden
from urrbmi.access.scope import Principal
from urrbmi.campaign import activation, fieldwork
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.db.models import AuditLog, Payment
from urrbmi.db.models_fieldwork import VisitOutcome
from urrbmi.db.models_targets import TargetReduction
from urrbmi.db.session import session_scope
from urrbmi.errors import InvalidInput
from urrbmi.registry.errors import AmountMismatch, Conflict
from urrbmi.registry.regions import add_region
from urrbmi.registry.residents import NewResident, add_membership, add_resident
from urrbmi.targets.store import load_task_table  # noqa: F401  (task tables: see test below)

VILLAGE, OTHER = "500114001001", "500114001002"
DAY = dt.date(2021, 12, 15)
AGENT = Principal(1, "wang", "village_agent", VILLAGE, VILLAGE)
OTHER_AGENT = Principal(2, "zhao", "village_agent", OTHER, OTHER)
TOWN = Principal(3, "li", "township_officer", "500114001", "500114001")
BUREAU = Principal(4, "chen", "bureau_officer", "500114", "500114")


@pytest.fixture
def world(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Village 城西社区: household H1 of three (张大, 张二, 张小), household H2 of one (李四) with
    低保; a resident of another village (王五)."""
    monkeypatch.setenv("URRBMI_TODAY", str(DAY))
    setup_regions(engine)
    with session_scope(engine) as s:
        add_region(s, OTHER, "城西二村", "village", "500114001", actor=ACTOR)
    people = [
        ("张大", VILLAGE, "H1", dt.date(1960, 1, 1), 11),
        ("张二", VILLAGE, "H1", dt.date(1962, 2, 2), 12),
        ("张小", VILLAGE, "H1", dt.date(1990, 3, 3), 13),
        ("李四", VILLAGE, "H2", dt.date(1970, 4, 4), 14),
        ("王五", OTHER, "H9", dt.date(1975, 5, 5), 15),
    ]
    out: dict[str, int] = {}
    with session_scope(engine) as s:
        for name, region, hh, born, seq in people:
            r = add_resident(
                s, NewResident(person("500114", born, seq), name, region, household_id=hh), actor=ACTOR
            )
            out[name] = r.id
        add_membership(
            s, person("500114", dt.date(1970, 4, 4), 14), "低保对象", dt.date(2021, 1, 1), actor=ACTOR
        )
        c = create_campaign(s, "qianjiang-2022", "500114", actor=ACTOR)
        assess(s, c, DAY, actor=ACTOR)
        out["campaign"] = c.id
    return out


def _due(engine: Engine, rid: int, cid: int) -> Decimal:
    with session_scope(engine) as s:
        h = fieldwork.household(s, AGENT, get_campaign(s, cid), rid)
        return next(m.amount_due for m in h.members if m.resident_id == rid)  # type: ignore[return-value]


def test_worklist_groups_the_village_by_household_and_searches_and_filters(
    engine: Engine, world: dict[str, int]
) -> None:
    with session_scope(engine) as s:
        c = get_campaign(s, world["campaign"])
        w = fieldwork.worklist(s, AGENT, c)
        assert [(g.household, [m.name for m in g.members]) for g in w.households] == [
            ("H1", ["张大", "张二", "张小"]),
            ("H2", ["李四"]),
        ]  # 王五 lives in another village
        assert all(m.state == "todo" and m.state_zh == "未参保" for g in w.households for m in g.members)
        assert w.households[0].members[0].id_number.count("*") > 0  # masked in lists
        assert [m.name for g in fieldwork.worklist(s, AGENT, c, q="张二").households for m in g.members] == [
            "张二"
        ]
        number = person("500114", dt.date(1970, 4, 4), 14)
        by_id = fieldwork.worklist(s, AGENT, c, q=number[-6:])
        assert [m.name for g in by_id.households for m in g.members] == ["李四"]
        low = fieldwork.worklist(s, AGENT, c, identity="低保对象")
        assert [m.name for g in low.households for m in g.members] == ["李四"]
        assert low.households[0].members[0].identities == ("低保对象",)
        town = fieldwork.worklist(s, TOWN, c)
        assert {m.name for g in town.households for m in g.members} == {
            "张大",
            "张二",
            "张小",
            "李四",
            "王五",
        }
        with pytest.raises(Forbidden):  # an agent cannot read another village
            fieldwork.worklist(s, AGENT, c, region=OTHER)
        with pytest.raises(InvalidInput):
            fieldwork.worklist(s, AGENT, c, state="paid")


def test_household_payment_for_two_members_then_state_and_amounts(
    engine: Engine, world: dict[str, int]
) -> None:
    cid = world["campaign"]
    a, b = world["张大"], world["张二"]
    due_a, due_b = _due(engine, a, cid), _due(engine, b, cid)
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        paid = fieldwork.pay_members(
            s,
            AGENT,
            c,
            members=[(a, due_a), (b, due_b)],
            channel="cash",
            request_ref="R-0001",
            actor="api:wang",
        )
        assert paid.total == due_a + due_b and all(m.receipt_no for m in paid.members)
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        h = fieldwork.household(s, AGENT, c, world["张小"])
        assert [(m.name, m.paid, m.state) for m in h.members] == [
            ("张大", True, "enrolled"),
            ("张二", True, "enrolled"),
            ("张小", False, "todo"),
        ]
        assert [m.name for g in fieldwork.worklist(s, AGENT, c).households for m in g.members] == [
            "张小",
            "李四",
        ]
        enrolled = fieldwork.worklist(s, AGENT, c, state="enrolled")
        assert [m.name for g in enrolled.households for m in g.members] == ["张大", "张二"]
        again = fieldwork.pay_members(  # a repeated request replays, no second payment
            s,
            AGENT,
            c,
            members=[(a, due_a), (b, due_b)],
            channel="cash",
            request_ref="R-0001",
            actor="api:wang",
        )
        assert all(m.replayed for m in again.members)
        assert s.scalar(select(func.count()).select_from(Payment)) == 2


def test_household_payment_is_all_or_nothing(engine: Engine, world: dict[str, int]) -> None:
    cid = world["campaign"]
    a, small = world["张大"], world["张小"]
    due_a = _due(engine, a, cid)
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        with pytest.raises(AmountMismatch) as wrong:  # the second member's amount is wrong
            fieldwork.pay_members(
                s, AGENT, c, members=[(a, due_a), (small, Decimal("1.00"))], channel="cash",
                request_ref="R-0002", actor="api:wang",
            )  # fmt: skip
        assert "张小" in wrong.value.zh and "均未入账" in wrong.value.zh
        with pytest.raises(Forbidden):  # a member of another village
            fieldwork.pay_members(
                s, AGENT, c, members=[(a, due_a), (world["王五"], Decimal("1"))], channel="cash",
                request_ref="R-0003", actor="api:wang",
            )  # fmt: skip
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0


def test_visit_outcomes_reminders_export_and_task_reduction_evidence(
    engine: Engine, world: dict[str, int], tmp_path: Path
) -> None:
    cid = world["campaign"]
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        with pytest.raises(InvalidInput):  # a promise needs its day
            fieldwork.record_outcome(
                s, AGENT, c, resident_id=world["张大"], outcome="promised", reason="月底发工资后缴",
                visited_on=DAY, actor="api:wang",
            )  # fmt: skip
        with pytest.raises(InvalidInput):  # a reason is required
            fieldwork.record_outcome(
                s,
                AGENT,
                c,
                resident_id=world["张大"],
                outcome="refused",
                reason=" ",
                visited_on=DAY,
                actor="x",
            )
        with pytest.raises(Forbidden):
            fieldwork.record_outcome(
                s,
                OTHER_AGENT,
                c,
                resident_id=world["张大"],
                outcome="refused",
                reason="x",
                visited_on=DAY,
                actor="x",
            )
        fieldwork.record_outcome(
            s, AGENT, c, resident_id=world["张大"], outcome="promised", reason="月底发工资后缴",
            visited_on=DAY, promised_on=DAY + dt.timedelta(days=10), phone="13800001111", actor="api:wang",
        )  # fmt: skip
        fieldwork.record_outcome(
            s, AGENT, c, resident_id=world["张二"], outcome="unreachable", reason="外出务工", visited_on=DAY,
            actor="api:wang",
        )  # fmt: skip
        v = fieldwork.record_outcome(
            s, AGENT, c, resident_id=world["张小"], outcome="paid_elsewhere", reason="在深圳参加居民医保",
            visited_on=DAY, evidence_ref="SZ-2022-0001", actor="api:wang",
        )  # fmt: skip
        vid = v.id
        fieldwork.record_outcome(
            s,
            AGENT,
            c,
            resident_id=world["李四"],
            outcome="refused",
            reason="不愿参保",
            visited_on=DAY,
            actor="api:wang",
        )
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        rem = fieldwork.reminders(s, AGENT, c)
        assert [(m.name, m.outcome, m.phone) for m in rem] == [
            ("张大", "promised", "13800001111"),
            ("张二", "unreachable", None),
        ]
        pages = [fieldwork.reminders_page(s, AGENT, c, limit=1, offset=o) for o in (0, 1, 2)]
        assert [([m.name for m in x.items], x.total) for x in pages] == [
            (["张大"], 2),
            (["张二"], 2),
            ([], 2),
        ]
        promised = fieldwork.worklist(s, AGENT, c, outcome="promised")
        assert [m.outcome_zh for g in promised.households for m in g.members] == ["承诺缴费"]
        path = tmp_path / "催缴提醒名单.xlsx"
        fieldwork.reminders_xlsx(rem, len(rem), path, title="城西社区催缴提醒名单")
        ws = load_workbook(path).active
        assert ws is not None
        assert [c.value for c in ws[3]][:5] == ["村（社区）", "户号", "姓名", "身份证号", "联系电话"]
        assert ws["E4"].value == "13800001111" and ws["H4"].value == "承诺缴费"
        assert isinstance(ws["G4"].value, (int, float))  # the amount as a number
        audited = s.scalars(select(AuditLog.action).where(AuditLog.table_name == "visit_outcomes")).all()
        assert audited.count("insert") == 4
        with pytest.raises(Forbidden):  # an agent does not record reductions
            fieldwork.reduce_from_outcome(s, AGENT, c, vid, actor="api:wang")
    _load_suixi_like_task(engine, cid)
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        refused = s.scalars(select(VisitOutcome).where(VisitOutcome.outcome == "refused")).one()
        with pytest.raises(InvalidInput):  # a refusal proves nothing
            fieldwork.reduce_from_outcome(s, BUREAU, c, refused.id, actor="api:chen")
        row = fieldwork.reduce_from_outcome(s, BUREAU, c, vid, actor="api:chen")
        assert (row.persons, row.evidence, row.evidence_ref) == (1, "other_place_resident", "SZ-2022-0001")
        assert f"入户走访结果{vid}" in row.note
        rid = row.id
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        assert s.get(VisitOutcome, vid).reduction_id == rid  # type: ignore[union-attr]
        with pytest.raises(Conflict):
            fieldwork.reduce_from_outcome(s, BUREAU, c, vid, actor="api:chen")
        assert s.scalar(select(func.count()).select_from(TargetReduction)) == 1


def _load_suixi_like_task(engine: Engine, cid: int) -> None:
    """A village task table under 濉溪's notice (its annex note 3 allows reductions)."""
    from urrbmi.db.models_targets import TargetSet, TargetUnit

    with session_scope(engine) as s:
        ts = TargetSet(
            campaign_id=cid, name="suixi-2022", title="任务表", target_group="all", unit="village",
            method="fixed", source="附件", loaded_by=ACTOR, loaded_at=dt.datetime(2021, 12, 1, tzinfo=dt.UTC),
        )  # fmt: skip
        s.add(ts)
        s.flush()
        s.add(TargetUnit(target_set_id=ts.id, seq=1, unit_name="城西社区", region_code=VILLAGE, task=4))


def test_activation_import_rates_and_not_activated(
    engine: Engine, world: dict[str, int], tmp_path: Path
) -> None:
    numbers = {
        "张大": person("500114", dt.date(1960, 1, 1), 11),
        "李四": person("500114", dt.date(1970, 4, 4), 14),
        "王五": person("500114", dt.date(1975, 5, 5), 15),
    }
    f = tmp_path / "激活名单.csv"
    f.write_text(
        "身份证号码,姓名,激活日期\n"
        f"{numbers['张大']},张大,2021-11-02\n"
        f"{numbers['李四']},李四,2021/12/01\n"
        f"{numbers['李四']},李四,2021-11-20\n"
        "110101199003070000,错号,2021-11-01\n"
        f"{numbers['王五']},王五,不详\n"
        f"{person('500114', dt.date(1999, 9, 9), 99)},无此人,2021-11-01\n",
        encoding="gb18030",
    )
    with session_scope(engine) as s:
        with pytest.raises(Forbidden):
            activation.import_activations(s, TOWN, f.read_bytes(), file_name=f.name, actor="api:li")
        res = activation.import_activations(s, BUREAU, f.read_bytes(), file_name=f.name, actor="api:chen")
        assert (res.rows, res.recorded, res.bad_total) == (6, 2, 3)
        assert [(b["row"], b["reason"]) for b in res.bad] == [
            (5, "身份证号码无效"),
            (6, "激活日期无效：不详"),
            (7, "不在本辖区居民名册中"),
        ]
    with session_scope(engine) as s:
        c = get_campaign(s, world["campaign"])
        rows, total = activation.activation_rates(s, BUREAU, c, level="village")
        by = {r.name: (r.registry, r.enrolled, r.activated, r.activation_rate) for r in rows}
        assert by == {"城西社区": (4, 0, 2, Decimal("0.5000")), "城西二村": (1, 0, 0, Decimal("0"))}
        assert total is not None and (total.registry, total.activated) == (5, 2)
        (town,), _ = activation.activation_rates(s, BUREAU, c, level="town")
        assert (town.name, town.activated) == ("城西街道", 2)
        missing = activation.not_activated(s, AGENT, c)
        assert ([m.name for m in missing.items], missing.total) == (["张二", "张小"], 2)
        early = activation.not_activated(s, AGENT, c, on=dt.date(2021, 11, 10))  # 李四 activated 11-20
        assert [m.name for m in early.items] == ["张二", "张小", "李四"]
        pages = [
            activation.not_activated(s, AGENT, c, on=dt.date(2021, 11, 10), limit=2, offset=o)
            for o in (0, 2, 4)
        ]
        assert [([m.name for m in x.items], x.total) for x in pages] == [
            (["张二", "张小"], 3),
            (["李四"], 3),
            ([], 3),
        ]
        with pytest.raises(InvalidInput):
            activation.not_activated(s, AGENT, c, limit=0)


def test_phone_numbers_in_the_lists_are_full_for_the_village_and_town_and_masked_for_others(
    engine: Engine, world: dict[str, int]
) -> None:
    """A number loaded from a department list (resident_contacts, source and date) fills the phone
    column of the agent's worklist and reminders and of the township's not-enrolled list: in full
    for roles with contact.read (the agent, the township officer), masked for the bureau."""
    from urrbmi import clock
    from urrbmi.db.models_fieldwork import ResidentContact
    from urrbmi.targets.lists import not_enrolled

    with session_scope(engine) as s:
        s.add(
            ResidentContact(
                resident_id=world["李四"], phone="13800001111", source="minzheng", recorded_on=DAY,
                updated_by=ACTOR, updated_at=clock.now(),
            )
        )  # fmt: skip
    with session_scope(engine) as s:
        c = get_campaign(s, world["campaign"])

        def phone(p: Principal) -> str | None:
            w = fieldwork.worklist(s, p, c, q="李四")
            return w.households[0].members[0].phone

        assert phone(AGENT) == phone(TOWN) == "13800001111"
        assert phone(BUREAU) == "138****1111"
        assert {m.name: m.phone for m in fieldwork.reminders(s, BUREAU, c)}["李四"] == "138****1111"
        for full, shown in ((True, "13800001111"), (False, "138****1111")):
            page = not_enrolled(s, c.id, on=DAY, scope=VILLAGE, full_phones=full)
            assert {r["name"]: r["phone"] for r in page.rows}["李四"] == shown


def test_worklist_pages_households_in_the_database_residents_without_one_after_the_households(
    engine: Engine, world: dict[str, int]
) -> None:
    """Households are counted and paged in SQL: by village, then household number, then the
    residents registered without a household (each alone); the totals count every match, and a
    page past the end is empty with the same totals; filters apply before paging."""
    with session_scope(engine) as s:
        add_resident(s, NewResident(person("500114", dt.date(1980, 6, 6), 16), "孙六", VILLAGE), actor=ACTOR)
    with session_scope(engine) as s:
        c = get_campaign(s, world["campaign"])
        assess(s, c, DAY, actor=ACTOR)
    with session_scope(engine) as s:
        c = get_campaign(s, world["campaign"])
        pages = [fieldwork.worklist(s, TOWN, c, limit=1, offset=i) for i in range(5)]
        assert [(w.total_households, w.total_residents) for w in pages] == [(4, 6)] * 5
        assert [[(g.household, [m.name for m in g.members]) for g in w.households] for w in pages] == [
            [("H1", ["张大", "张二", "张小"])],
            [("H2", ["李四"])],
            [("", ["孙六"])],
            [("H9", ["王五"])],
            [],
        ]
        two = fieldwork.worklist(s, TOWN, c, limit=2, offset=1)
        assert [g.household for g in two.households] == ["H2", ""]
        low = fieldwork.worklist(s, TOWN, c, identity="低保对象", limit=1)
        assert (low.total_households, low.total_residents) == (1, 1)
        assert fieldwork.worklist(s, TOWN, c, state="enrolled").total_households == 0
