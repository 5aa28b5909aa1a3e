"""Schools as payers (issue 14 item 4; 泰兴 四（一）2 "在校学生全部由所在学校代为统一办理参保登记和缴费",
泰兴 二 "在校学生以学校为单位", 濉溪 八（二） the school reports its pupils' enrollment): a roster
uploaded, each pupil priced, one payment for the school, a receipt and an enrollment per pupil,
progress by school. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from dbfixtures import ACTOR, setup_regions
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, func, select

from urrbmi import ids
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.payments import PaymentLine, record_payment
from urrbmi.campaign.schools import (
    confirm_roster,
    get_school,
    list_schools,
    pay_school,
    pay_school_file,
    register_school,
    school_progress,
    statement,
    statement_file,
    upload_roster,
)
from urrbmi.db.models import (
    Assessment,
    AuditLog,
    BenefitPeriod,
    Enrollment,
    Payment,
    Receipt,
    Resident,
    ResidentHistory,
)
from urrbmi.db.session import session_scope
from urrbmi.errors import InvalidInput
from urrbmi.policy import ResidentInput, load_policy, quote
from urrbmi.registry.errors import AmountMismatch, Conflict, NotFound, PaidInFuture
from urrbmi.registry.regions import add_region
from urrbmi.registry.residents import NewResident, add_resident
from urrbmi.targets.counting import progress

TAIXING, TX_TOWN = "321283", "321283001"
SUIXI_TOWN = "340621100"
SEPT = dt.date(2021, 9, 20)  # 泰兴: the students' window is open (9-01), the general one is not (10-01)


def taixing_regions(engine: Engine) -> None:
    with session_scope(engine) as s:
        for code, name, level, parent in [
            ("320000", "江苏省", "province", None),
            ("321200", "泰州市", "prefecture", "320000"),
            (TAIXING, "泰兴市", "county", "321200"),
            (TX_TOWN, "济川街道", "town", TAIXING),
            ("321283002", "延令街道", "town", TAIXING),
        ]:
            add_region(s, code, name, level, parent, actor=ACTOR)


def register(engine: Engine, region: str, people: list[tuple[str, str]], **kw: object) -> None:
    with session_scope(engine) as s:
        for number, name in people:
            add_resident(s, NewResident(number, name, region, **kw), actor=ACTOR)  # type: ignore[arg-type]


def roster_csv(rows: list[tuple[str, str, str]]) -> bytes:
    """A school's roster as schools send it: a title row, then 序号/姓名/身份证号码/班级, GB18030."""
    body = "".join(f"{i},{name},{number},{klass}\n" for i, (name, number, klass) in enumerate(rows, 1))
    return ("泰兴市实验初级中学2021级学生名册\n序号,姓名,身份证号码,班级\n" + body).encode("gb18030")


@pytest.fixture
def taixing(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, list[str]]:
    """泰兴 2022 campaign, assessed on 2021-09-20; four pupils (three aged 13, one aged 19 who the
    registry does not know to be a student) and one adult who is no pupil; a school in 济川街道."""
    monkeypatch.setenv("URRBMI_TODAY", str(SEPT))
    return build_taixing(engine)


def build_taixing(engine: Engine) -> tuple[int, int, list[str]]:
    taixing_regions(engine)
    pupils = [ids.make(TAIXING, dt.date(2008, 3, 1 + i), 11 + 2 * i) for i in range(3)]
    pupils.append(ids.make(TAIXING, dt.date(2002, 5, 5), 21))
    register(engine, TX_TOWN, [(n, f"学生{i}") for i, n in enumerate(pupils)])
    register(engine, TX_TOWN, [(ids.make(TAIXING, dt.date(1970, 1, 1), 31), "家长")])
    with session_scope(engine) as s:
        c = create_campaign(s, "taixing-2022", TAIXING, actor=ACTOR)
        assess(s, c, SEPT, actor=ACTOR)
        school = register_school(s, name="泰兴市实验初级中学", region_code=TX_TOWN, actor=ACTOR)
        return c.id, school.id, pupils


def test_taixing_4_1_2_school_pays_for_pupils(engine: Engine, taixing: tuple[int, int, list[str]]) -> None:
    cid, sid, pupils = taixing
    unknown = ids.make(TAIXING, dt.date(2008, 8, 8), 41)  # valid, not in the registry
    broken = pupils[0][:17] + ("0" if pupils[0][17] != "0" else "1")
    rows = [(f"学生{i}", n, "初一（1）班") for i, n in enumerate(pupils)]
    rows += [
        ("某某", broken, "初一（2）班"),
        ("某甲", unknown, "初一（2）班"),
        ("别名", pupils[1], "初一（2）班"),
    ]
    with session_scope(engine) as s:
        c, school = get_campaign(s, cid), get_school(s, sid)
        # before the roster: the pupils are not known to be students, and in September only the
        # students' window is open, so nobody can be priced yet
        before = s.scalars(
            select(Assessment.status)
            .join(Resident, Resident.id == Assessment.resident_id)
            .where(Resident.id_number.in_(pupils))
        ).all()
        assert before == ["error"] * 4
        res = upload_roster(s, school, c, roster_csv(rows), file_name="名册.csv", actor="officer:zhou")
    assert (res.rows, res.pupils, res.students_marked) == (7, 4, 4)
    # bad rows: file row numbers (title + header first), bilingual, ID numbers masked
    got = [(p.row, p.code) for p in res.problems]
    assert got == [(7, "id_check_digit"), (8, "pupil_unknown"), (9, "roster_duplicate")]
    assert all(p.zh and p.en for p in res.problems)
    assert "校验" in res.problems[0].zh and "registry" in res.problems[1].en
    assert res.problems[1].value == ids.mask(unknown)

    with session_scope(engine) as s:
        c, school = get_campaign(s, cid), get_school(s, sid)
        st = statement(s, school, c, SEPT)
        # 三.2: students 200 a year, the 19-year-old too (as an adult he would owe 420)
        assert [(x.name, x.status, x.due_fen) for x in st.lines] == [
            (f"学生{i}", "due", 20000) for i in range(4)
        ]
        assert st.total_fen == 80000
        assert {(x.benefit_start, x.benefit_end) for x in st.lines} == {
            (dt.date(2022, 1, 1), dt.date(2022, 12, 31))
        }
        # a wrong total is refused with the amount due; nothing is written
        with pytest.raises(AmountMismatch) as err:
            pay_school(
                s, school, c, amount=Decimal("790.00"), channel="bank", external_ref="JC-0920", paid_on=SEPT,
                actor="officer:zhou",
            )  # fmt: skip
        assert "应缴合计800.00元" in err.value.zh and "4名学生" in err.value.zh and "800.00" in err.value.en
        with pytest.raises(PaidInFuture):
            pay_school(
                s, school, c, amount=Decimal("800.00"), channel="bank", external_ref="JC-0920",
                paid_on=SEPT + dt.timedelta(days=1), actor="officer:zhou",
            )  # fmt: skip
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0
        paid = pay_school(
            s, get_school(s, sid), get_campaign(s, cid), amount=Decimal("800.00"), channel="bank",
            external_ref="JC-0920", paid_on=SEPT, actor="officer:zhou",
        )  # fmt: skip
        assert (paid.accepted, paid.held, paid.replayed) == (4, 0, False)
        numbers = [r.receipt_no for r in paid.receipts]
        assert None not in numbers and len(set(numbers)) == 4
    with session_scope(engine) as s:
        # each pupil: an accepted payment of 200 with a receipt, an enrollment and a benefit period
        rows_ = s.execute(
            select(Resident.id_number, Payment.amount_fen, Enrollment.source, BenefitPeriod.end_on)
            .join(Payment, Payment.resident_id == Resident.id)
            .join(Receipt, Receipt.payment_id == Payment.id)
            .join(Enrollment, Enrollment.payment_id == Payment.id)
            .join(BenefitPeriod, BenefitPeriod.enrollment_id == Enrollment.id)
            .where(Payment.status == "accepted", Enrollment.status == "enrolled")
        ).all()
        assert sorted(rows_) == sorted((n, 20000, "payment", dt.date(2022, 12, 31)) for n in pupils)
        # the same reference again: the same receipts, nothing new
        again = pay_school(
            s, get_school(s, sid), get_campaign(s, cid), amount=Decimal("800"), channel="bank",
            external_ref="JC-0920", paid_on=SEPT, actor="officer:zhou",
        )  # fmt: skip
        assert again.replayed and [r.receipt_no for r in again.receipts] == numbers
        with pytest.raises(Conflict):
            pay_school(
                s, get_school(s, sid), get_campaign(s, cid), amount=Decimal("1"), channel="bank",
                external_ref="JC-0920", paid_on=SEPT, actor="officer:zhou",
            )  # fmt: skip
        assert s.scalar(select(func.count()).select_from(Payment)) == 4
        # nobody left to pay for
        with pytest.raises(Conflict):
            pay_school(
                s, get_school(s, sid), get_campaign(s, cid), amount=Decimal("0"), channel="bank",
                external_ref="JC-0921", paid_on=SEPT, actor="officer:zhou",
            )  # fmt: skip
        actions = set(
            s.execute(select(AuditLog.table_name, AuditLog.action).where(AuditLog.actor == "officer:zhou"))
        )
        assert {("school_pupils", "upload"), ("schools", "pay"), ("residents", "update")} <= actions
        # the registry's earlier versions are kept (the pupils were not known to be students)
        kept = s.execute(select(ResidentHistory.id_number, ResidentHistory.changed_by)).all()
        assert sorted(kept) == sorted((n, "officer:zhou") for n in pupils)
        assert set(s.scalars(select(Resident.student).where(Resident.id_number.in_(pupils)))) == {"school"}


def test_taixing_2_progress_by_school(engine: Engine, taixing: tuple[int, int, list[str]]) -> None:
    """泰兴 二 "在校学生以学校为单位,参保率达100%": pupils on the roster and enrolled, per school, with
    the same count as the progress report by school (one definition of enrolled)."""
    cid, sid, pupils = taixing
    with session_scope(engine) as s:
        c, school = get_campaign(s, cid), get_school(s, sid)
        upload_roster(
            s, school, c, roster_csv([(f"学生{i}", n, "初一") for i, n in enumerate(pupils)]), actor=ACTOR
        )
        (before,) = school_progress(s, c, SEPT)
        assert (before.roster, before.enrolled, before.remaining) == (4, 0, 4)
        assert before.target_rate == Decimal(1)
        st = statement(s, school, c, SEPT)
        # one pupil's parent pays at the counter first
        record_payment(
            s, c, id_number=pupils[0], amount=Decimal("200"), channel="cash", external_ref="P-1",
            paid_on=SEPT, actor="agent:li",
        )  # fmt: skip
        assert st.total_fen == 80000
    with session_scope(engine) as s:
        c, school = get_campaign(s, cid), get_school(s, sid)
        st = statement(s, school, c, SEPT)
        assert [x.status for x in st.lines] == ["enrolled", "due", "due", "due"] and st.total_fen == 60000
        pay_school(
            s,
            school,
            c,
            amount=Decimal("600.00"),
            channel="bank",
            external_ref="JC-1",
            paid_on=SEPT,
            actor=ACTOR,
        )
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        (after,) = school_progress(s, c, SEPT)
        assert (after.name, after.roster, after.enrolled, after.rate, after.remaining) == (
            "泰兴市实验初级中学", 4, 4, Decimal(1), 0,
        )  # fmt: skip
        # the day before nothing was paid
        (earlier,) = school_progress(s, c, SEPT - dt.timedelta(days=1))
        assert earlier.enrolled == 0
        report = progress(s, cid, on=SEPT, level="school")
        assert [(r.unit, r.enrolled) for r in report.rows] == [("泰兴市实验初级中学", 4)]
        assert school_progress(s, c, SEPT, scope="321283002") == []


def test_suixi_8_2_school_reports_pupils_paid_with_parents(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """濉溪 八（二）: pupils pay with their parents online; the school's statement shows them enrolled
    and the rest are paid by a channel's file for the school (a wrong amount is held, a stranger
    refuses the file); progress by school counts both."""
    day = dt.date(2021, 11, 15)
    monkeypatch.setenv("URRBMI_TODAY", str(day))
    setup_regions(engine)
    pupils = [ids.make("340621", dt.date(2010, 1, 1 + i), 51 + 2 * i) for i in range(3)]
    register(engine, SUIXI_TOWN, [(n, f"小学生{i}") for i, n in enumerate(pupils)], student="school")
    stranger = ids.make("340621", dt.date(1980, 1, 1), 61)
    register(engine, SUIXI_TOWN, [(stranger, "成人")])
    policy = load_policy("suixi-2022")
    due = quote(
        policy, ResidentInput.parse({"id_number": pupils[0], "student": "school", "paid_on": day})
    ).total_due
    with session_scope(engine) as s:
        c = create_campaign(s, "suixi-2022", "340621", actor=ACTOR)
        assess(s, c, day, actor=ACTOR)
        school = register_school(
            s, name="濉溪县第一实验小学", region_code=SUIXI_TOWN, code="2134000001", actor=ACTOR
        )
        body = "姓名,身份证号码,班级\n" + "".join(f"小学生{i},{n},三（2）班\n" for i, n in enumerate(pupils))
        res = upload_roster(s, school, c, body.encode(), actor=ACTOR)
        assert (res.pupils, res.students_marked, res.problems) == (3, 3, [])  # school_name set
        record_payment(
            s,
            c,
            id_number=pupils[0],
            amount=due,
            channel="cash",
            external_ref="W-1",
            paid_on=day,
            actor="agent:x",
        )
        cid, sid = c.id, school.id
    with session_scope(engine) as s:
        c, school = get_campaign(s, cid), get_school(s, sid)
        st = statement(s, school, c, day)
        assert [x.status for x in st.lines] == ["enrolled", "due", "due"]
        assert st.total_fen == 2 * int(due * 100)

        def line(n: str, ref: str, fen: int) -> PaymentLine:
            return PaymentLine(int(ref[2:]) + 2, ref, n, fen, day)

        with pytest.raises(InvalidInput, match="不是"):
            pay_school_file(s, school, c, [line(stranger, "F-0", 100)], channel="tax", actor=ACTOR)
        summary = pay_school_file(
            s, school, c, [line(pupils[1], "F-1", int(due * 100)), line(pupils[2], "F-2", 100)], channel="tax",
            actor=ACTOR,
        )  # fmt: skip
        assert summary.status == {"accepted": 1, "held": 1} and summary.held == {"amount_mismatch": 1}
    with session_scope(engine) as s:
        (row,) = school_progress(s, get_campaign(s, cid), day)
        assert (row.roster, row.enrolled, row.region_name) == (3, 2, "濉溪镇")


def test_school_scope_roster_rules_and_statement_file(
    engine: Engine, taixing: tuple[int, int, list[str]], tmp_path: Path
) -> None:
    """A school outside the officer's scope is not found; a pupil is on one school's roster per
    campaign; an XLSX roster is read like a CSV one; the statement exports with masked IDs."""
    cid, sid, pupils = taixing
    with session_scope(engine) as s:
        with pytest.raises(NotFound):
            get_school(s, sid, scope="321283002")
        with pytest.raises(NotFound):
            register_school(s, name="延令小学", region_code=TX_TOWN, actor=ACTOR, scope="321283002")
        with pytest.raises(Conflict):
            register_school(s, name="泰兴市实验初级中学", region_code=TX_TOWN, actor=ACTOR)
    with session_scope(engine) as s:
        other = register_school(s, name="延令小学", region_code="321283002", actor=ACTOR)
        assert [x.name for x in list_schools(s, scope="321283002")] == ["延令小学"]
        c = get_campaign(s, cid)
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(["学生姓名", "学生身份证号", "所在班级"])
        for i, n in enumerate(pupils[:2]):
            ws.append([f"学生{i}", n, "一（1）"])
        path = tmp_path / "roster.xlsx"
        wb.save(path)
        res = upload_roster(s, get_school(s, sid), c, path.read_bytes(), file_name="roster.xlsx", actor=ACTOR)
        assert res.pupils == 2
        res = upload_roster(
            s, other, c, roster_csv([("学生1", pupils[1], "x"), ("学生2", pupils[2], "x")]), actor=ACTOR
        )
        assert res.pupils == 1 and [p.code for p in res.problems] == ["pupil_other_school"]
        assert "泰兴市实验初级中学" in res.problems[0].zh
        # re-uploading replaces the roster
        res = upload_roster(
            s, get_school(s, sid), c, roster_csv([("学生0", pupils[0], "一（1）")]), actor=ACTOR
        )
        assert (res.pupils, res.removed) == (1, 1)
        # a file with no row to take leaves the roster as it was
        with pytest.raises(InvalidInput, match="名册未更改"):
            upload_roster(s, get_school(s, sid), c, roster_csv([("某某", "123", "x")]), actor=ACTOR)
        assert len(statement(s, get_school(s, sid), c, SEPT).lines) == 1
        st = statement(s, get_school(s, sid), c, SEPT)
        out = tmp_path / "清单.xlsx"
        out.write_bytes(statement_file(st, full_ids=False))
        ws = load_workbook(out).active
        assert ws is not None
        cells = [tuple(r) for r in ws.iter_rows(values_only=True)]
        assert cells[1][:5] == ("序号", "班级", "姓名", "身份证号码", "应缴金额（元）")
        assert cells[2][3] == ids.mask(pupils[0]) and cells[2][4] == 200
        assert cells[-1][0] == "合计" and cells[-1][4] == 200
        csv_out = statement_file(st, full_ids=True, fmt="csv")
        assert pupils[0] in csv_out.decode("utf-8-sig")


def test_taixing_4_1_2_school_and_parent_paying_at_once_enroll_once(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parent pays at the counter while the school's payment is being recorded: each pupil is
    enrolled once, with one receipt; the school's line for that pupil is held as already paid
    (its money goes back through the refund lifecycle)."""
    monkeypatch.setenv("URRBMI_TODAY", str(SEPT))
    engine = pg_engine
    cid, sid, pupils = build_taixing(engine)
    with session_scope(engine) as s:
        upload_roster(
            s, get_school(s, sid), get_campaign(s, cid),
            roster_csv([(f"学生{i}", n, "初一") for i, n in enumerate(pupils)]), actor=ACTOR,
        )  # fmt: skip
    parent_in = threading.Event()
    results: dict[str, object] = {}
    errors: list[BaseException] = []

    def parent() -> None:
        try:
            with session_scope(engine) as s:
                r = record_payment(
                    s, get_campaign(s, cid), id_number=pupils[3], amount=Decimal("200"), channel="cash",
                    external_ref="P-3", paid_on=SEPT, actor="agent:li",
                )  # fmt: skip
                results["parent"] = r.payment.status
                parent_in.set()
                time.sleep(0.5)  # the enrollment stays uncommitted while the school pays
        except BaseException as exc:
            errors.append(exc)
            parent_in.set()

    def school() -> None:
        try:
            parent_in.wait(5)
            with session_scope(engine) as s:
                paid = pay_school(
                    s, get_school(s, sid), get_campaign(s, cid), amount=Decimal("800.00"), channel="bank",
                    external_ref="JC-RACE", paid_on=SEPT, actor="officer:zhou",
                )  # fmt: skip
                results["school"] = (paid.accepted, paid.held)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=parent), threading.Thread(target=school)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert results == {"parent": "accepted", "school": (3, 1)}
    with session_scope(engine) as s:
        live = s.execute(
            select(Enrollment.resident_id, func.count())
            .where(Enrollment.status == "enrolled")
            .group_by(Enrollment.resident_id)
        ).all()
        assert len(live) == 4 and all(n == 1 for _, n in live)
        assert s.scalar(select(func.count()).select_from(Receipt)) == 4
        held = s.execute(
            select(Payment.external_ref, Payment.hold_reason).where(Payment.status == "held")
        ).all()
        assert len(held) == 1 and held[0][1] == "already_paid" and held[0][0].startswith("JC-RACE#")


def test_taixing_4_1_2_school_confirms_its_pupils_from_the_registry(
    engine: Engine, taixing: tuple[int, int, list[str]]
) -> None:
    """ "学校代为统一办理参保登记": the registry already knows some pupils as students of the school
    (the education department's list); the school confirms them as its roster instead of a file."""
    cid, sid, _pupils = taixing
    known = [ids.make(TAIXING, dt.date(2009, 2, 2 + i), 71 + 2 * i) for i in range(2)]
    register(engine, TX_TOWN, [(n, f"在册{i}") for i, n in enumerate(known)], student="school",
             school_name="泰兴市实验初级中学")  # fmt: skip
    register(engine, TX_TOWN, [(ids.make(TAIXING, dt.date(2009, 3, 3), 81), "他校")], student="school",
             school_name="泰兴市第二中学")  # fmt: skip
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        assess(s, c, SEPT, actor=ACTOR)
        res = confirm_roster(s, get_school(s, sid), c, actor="officer:zhou")
        assert (res.pupils, res.students_marked, res.problems) == (2, 0, [])
        st = statement(s, get_school(s, sid), c, SEPT)
        assert [(x.name, x.due_fen) for x in st.lines] == [("在册0", 20000), ("在册1", 20000)]
        with pytest.raises(InvalidInput, match="名册未更改"):  # nobody of that school in a town's scope
            confirm_roster(s, get_school(s, sid), c, actor="officer:zhou", scope="321283002")
