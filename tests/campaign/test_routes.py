"""Every special route of the notices through the campaign (issue 14, item 2): priced → paid →
enrolled → receipt → benefit period → reports, on SQLite and PostgreSQL, each test named after
the clause it follows. Payments come in a channel's file (the held queue shows a refusal).

Routes: 濉溪 五 returning migrant workers; 濉溪 六（三） hardship persons added after the window;
昌吉 三 补发 when the identity arrives after payment; 丰都 三（三） graduating college students;
濉溪 六（四） / 丰都 四（三） employee-insurance leavers (人社 list column, CLI, API); 人社 lists
read by insurance type (昌吉 六); newborns, veterans and the waiting-period exemptions."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from dbfixtures import ACTOR, person, setup_regions
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.changes import register_newborn, statement
from urrbmi.campaign.payments import PaymentLine, apply_payments
from urrbmi.campaign.refunds import approve, export_refund_file, import_result, list_refunds, read_result_file
from urrbmi.campaign.reports import reconcile, roster_rows
from urrbmi.db.models import Assessment, BenefitPeriod, Enrollment, Payment, Receipt, Refund, Resident
from urrbmi.db.session import session_scope
from urrbmi.imports.load import load_list
from urrbmi.interfaces.cli import main
from urrbmi.money import to_fen
from urrbmi.registry.residents import (
    NewResident,
    add_membership,
    add_resident,
    find_resident,
    update_resident,
)

SUIXI_WINDOW = dt.date(2021, 11, 1)
FENGDU_WINDOW = dt.date(2022, 11, 1)
CHANGJI_WINDOW = dt.date(2022, 11, 1)


# --- a small world ------------------------------------------------------------------------


def nm(seq: int) -> str:
    """A resident's name (department lists refuse names with digits)."""
    return "居民" + "".join("零一二三四五六七八九"[int(d)] for d in str(seq))


def register(engine: Engine, region: str, id_region: str, born: dt.date, seq: int, **kw: Any) -> str:
    number = person(id_region, born, seq)
    with session_scope(engine) as s:
        add_resident(s, NewResident(number, nm(seq), region, **kw), actor=ACTOR)
    return number


def open_campaign(engine: Engine, policy: str, region: str, as_of: dt.date) -> int:
    with session_scope(engine) as s:
        c = create_campaign(s, policy, region, actor=ACTOR)
        assess(s, c, as_of, actor=ACTOR)
        return c.id


def reassess(engine: Engine, cid: int, as_of: dt.date) -> None:
    """The monthly re-assessment after the departments' lists (only what changed)."""
    with session_scope(engine) as s:
        assess(s, get_campaign(s, cid), as_of, actor=ACTOR, only_changed=True)


def pay_file(engine: Engine, cid: int, *lines: tuple[str, str, Decimal, dt.date]) -> dict[str, Any]:
    """A channel's file of (reference, ID, yuan, day) lines; its summary."""
    with session_scope(engine) as s:
        got = apply_payments(
            s,
            get_campaign(s, cid),
            "bank",
            [PaymentLine(i, ref, n, to_fen(amount), day) for i, (ref, n, amount, day) in enumerate(lines, 2)],
            actor=ACTOR,
        )
        return got.as_dict()


def found(s: Session, number: str) -> Resident:
    """The resident with this ID number, who must exist."""
    r = find_resident(s, number)
    assert r is not None, number
    return r


def ledger(engine: Engine, cid: int, number: str) -> dict[str, Any]:
    """What the ledger holds for a resident in the campaign: the assessment, the payment (status,
    hold, receipt), the enrollment and its benefit period."""
    with session_scope(engine) as s:
        r = find_resident(s, number)
        assert r is not None
        a = s.scalars(
            select(Assessment).where(Assessment.campaign_id == cid, Assessment.resident_id == r.id)
        ).one()
        p = s.scalars(
            select(Payment)
            .where(Payment.campaign_id == cid, Payment.resident_id == r.id)
            .order_by(Payment.id)
        ).all()
        receipt = s.scalar(select(Receipt.receipt_no).where(Receipt.payment_id == p[-1].id)) if p else None
        e = s.scalars(
            select(Enrollment).where(
                Enrollment.campaign_id == cid, Enrollment.resident_id == r.id, Enrollment.status == "enrolled"
            )
        ).first()
        bp = (
            None
            if e is None
            else s.scalars(select(BenefitPeriod).where(BenefitPeriod.enrollment_id == e.id)).one()
        )
        return {
            "assessment": (a.status, a.reason, None if a.total_due_fen is None else a.total_due_fen // 100),
            "window": a.window,
            "payment": (p[-1].status, p[-1].hold_reason) if p else None,
            "receipt": receipt is not None,
            "enrolled_by": None if e is None else e.source,
            "period": None if bp is None else (bp.start_on, bp.end_on),
        }


def reported(engine: Engine, cid: int, number: str, on: dt.date) -> tuple[int, Any]:
    """The reports: accepted payments counted by reconciliation, and the resident's statement
    (缴费查询) with the benefit period."""
    with session_scope(engine) as s:
        rec = reconcile(s, get_campaign(s, cid))
        line = statement(s, number, on)["campaigns"][0]
        return rec.matched["count"], line["benefit_period"]


# --- 濉溪 五: returning migrant workers --------------------------------------------------------


def test_suixi_5_returning_migrant_paying_2022_02_11_is_enrolled_from_the_next_day(engine: Engine) -> None:
    """外出务工春节返乡的农民工等，可以延长至2022年2月28日，自参保缴费次日起享受待遇. The fact is
    the resident's ``returning_migrant_year`` (set at the counter by CLI or API); a neighbour
    without it paying the same day is still held (the notice gives general late payers no rule)."""
    setup_regions(engine)
    worker = register(engine, "340621100", "340621", dt.date(1985, 4, 2), 11)
    neighbour = register(engine, "340621100", "340621", dt.date(1986, 5, 3), 13)
    cid = open_campaign(engine, "suixi-2022", "340621", SUIXI_WINDOW)
    with session_scope(engine) as s:
        update_resident(s, worker, {"returning_migrant_year": 2022}, actor=ACTOR, reason="春节返乡")
    day = dt.date(2022, 2, 11)
    got = pay_file(engine, cid, ("B1", worker, Decimal(320), day), ("B2", neighbour, Decimal(320), day))
    assert got["status"] == {"accepted": 1, "held": 1} and got["held"] == {"quote_error": 1}
    w = ledger(engine, cid, worker)
    assert w["payment"] == ("accepted", None) and w["receipt"] and w["enrolled_by"] == "payment"
    assert w["period"] == (dt.date(2022, 2, 12), dt.date(2022, 12, 31))
    assert ledger(engine, cid, neighbour)["payment"] == ("held", "quote_error")
    assert reported(engine, cid, worker, day) == (1, {"start": "2022-02-12", "end": "2022-12-31"})


def test_suixi_5_returning_migrant_year_set_by_cli_and_cleared(engine: Engine, db_url: str) -> None:
    setup_regions(engine)
    worker = register(engine, "340621100", "340621", dt.date(1985, 4, 2), 11)
    run = CliRunner().invoke
    out = run(main, ["resident", "update", worker, "--returning-migrant-year", "2022", "--db", db_url])
    assert out.exit_code == 0, out.output
    with session_scope(engine) as s:
        assert found(s, worker).returning_migrant_year == 2022
    bad = run(main, ["resident", "update", worker, "--returning-migrant-year", "二〇二二", "--db", db_url])
    assert bad.exit_code == 2 and "Traceback" not in bad.output and "春节返乡务工年度" in bad.output
    out = run(main, ["resident", "update", worker, "--returning-migrant-year", "none", "--db", db_url])
    assert out.exit_code == 0
    with session_scope(engine) as s:
        assert found(s, worker).returning_migrant_year is None


# --- 濉溪 六（三）: hardship persons added after the window (动态纳入) ------------------------------


def test_suixi_6_3_hardship_identified_after_the_window_pays_the_subsidised_amount(engine: Engine) -> None:
    """集中参保期结束后……对未参保全额资助对象同步维护其参保状态信息；对未参保定额资助对象……经动员
    自愿参保缴费的，个人完成缴费的同时医保信息系统自动调整参保状态信息. A 低保 person named by the
    March list pays 40 yuan (280 subsidised, no fiscal part) and is covered from the next day; a
    特困 person is enrolled at the re-assessment with nothing to pay."""
    setup_regions(engine)
    dibao = register(engine, "340621100", "340621", dt.date(1970, 3, 1), 21)
    tekun = register(engine, "340621100", "340621", dt.date(1950, 6, 1), 23)
    cid = open_campaign(engine, "suixi-2022", "340621", SUIXI_WINDOW)
    march = dt.date(2022, 3, 10)
    with session_scope(engine) as s:
        add_membership(s, dibao, "低保对象", march, actor=ACTOR)
        add_membership(s, tekun, "特困人员", march, actor=ACTOR)
    reassess(engine, cid, march)
    d = ledger(engine, cid, dibao)
    assert d["assessment"] == ("due", None, 40) and d["window"] == "dynamic_addition"
    t = ledger(engine, cid, tekun)
    assert t["assessment"] == ("due", None, 0) and t["enrolled_by"] == "subsidy"
    assert t["period"] == (dt.date(2022, 3, 11), dt.date(2022, 12, 31))
    got = pay_file(engine, cid, ("D1", dibao, Decimal(40), dt.date(2022, 3, 15)))
    assert got["status"] == {"accepted": 1}
    d = ledger(engine, cid, dibao)
    assert d["receipt"] and d["enrolled_by"] == "payment"
    assert d["period"] == (dt.date(2022, 3, 16), dt.date(2022, 12, 31))
    assert reported(engine, cid, dibao, march) == (1, {"start": "2022-03-16", "end": "2022-12-31"})


# --- 昌吉 三: 补发 when the identity arrives after payment ---------------------------------------


def _result_csv(path: Path, rows: list[tuple[object, ...]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["退费编号", "结果", "金额（元）", "支付日期", "渠道流水号", "失败原因"])
        w.writerows(rows)
    return path


def test_changji_3_retro_subsidy_created_when_the_list_names_someone_who_paid(
    engine: Engine, tmp_path: Path
) -> None:
    """对参保缴费后、动态新增的符合医疗救助资助参保的人员，及时落实资助参保政策，补发资助参保金.
    An adult paid 410 yuan; the December 民政 list names them 低保对象 (individual share 40): loading
    the list creates the pending 补发 of 370 yuan, which goes through the refund lifecycle to paid.
    The enrollment and benefit period stay as paid."""
    setup_regions(engine)
    adult = register(engine, "652301001", "652301", dt.date(1980, 2, 2), 31)
    cid = open_campaign(engine, "changji-2023", "652301", CHANGJI_WINDOW)
    assert pay_file(engine, cid, ("C1", adult, Decimal(410), dt.date(2022, 11, 5)))["status"] == {
        "accepted": 1
    }
    listing = tmp_path / "民政12月.csv"
    listing.write_text(f"姓名,身份证号码,救助类型\n{nm(31)},{adult},低保对象\n", encoding="utf-8")
    with session_scope(engine) as s:
        r = load_list(s, listing, "minzheng", dt.date(2022, 12, 1), actor="民政导入")
    assert r.gained == {"dibao": 1} and r.retro_subsidies == 1
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        (row,) = list_refunds(s, c)
        assert (row.kind, row.amount, row.status) == ("refund", Decimal(370), "pending")
        # loading the same identity again (another route) does not create a second one
        assert (s.scalar(select(Refund.reason)) or "").startswith("缴费后新认定身份（低保对象）")
        approve(s, c, [row.id], actor="审核员")
    with session_scope(engine) as s:
        f = export_refund_file(s, get_campaign(s, cid), "bank", "csv", actor="财务")
    assert f.count == 1 and f.total == Decimal(370)
    res = _result_csv(tmp_path / "res.csv", [(row.id, "成功", "370.00", "2022-12-20", "BK-9", "")])
    with session_scope(engine) as s:
        rep = import_result(s, get_campaign(s, cid), read_result_file(res.read_bytes()), actor="财务")
    assert (rep.paid, rep.paid_amount) == (1, Decimal(370))
    a = ledger(engine, cid, adult)
    assert a["payment"] == ("accepted", None) and a["period"] == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    with session_scope(engine) as s:
        assert [x.status for x in list_refunds(s, get_campaign(s, cid))] == ["paid"]


def test_changji_3_retro_subsidy_from_an_identity_accepted_on_review(engine: Engine, tmp_path: Path) -> None:
    """The 民政 list spells the payer's name otherwise: the row waits for review, and accepting the
    file's version (the identity with it) creates the 补发 as loading it would have."""
    from urrbmi.imports.review import decide_review, list_reviews

    setup_regions(engine)
    adult = register(engine, "652301001", "652301", dt.date(1980, 2, 2), 31)
    cid = open_campaign(engine, "changji-2023", "652301", CHANGJI_WINDOW)
    pay_file(engine, cid, ("C1", adult, Decimal(410), dt.date(2022, 11, 5)))
    listing = tmp_path / "民政12月.csv"
    listing.write_text(f"姓名,身份证号码,救助类型\n别名{nm(31)},{adult},低保对象\n", encoding="utf-8")
    with session_scope(engine) as s:
        r = load_list(s, listing, "minzheng", dt.date(2022, 12, 1), actor="民政导入")
    assert r.review_items == 1 and r.retro_subsidies == 0
    with session_scope(engine) as s:
        (item,) = list_reviews(s)
        decide_review(s, item.id, "take_file", actor="审核员")
    with session_scope(engine) as s:
        assert [(x.kind, x.amount, x.status) for x in list_refunds(s, get_campaign(s, cid))] == [
            ("refund", Decimal(370), "pending")
        ]


def test_changji_3_retro_subsidy_from_an_identity_recorded_by_cli(engine: Engine, db_url: str) -> None:
    setup_regions(engine)
    adult = register(engine, "652301001", "652301", dt.date(1980, 2, 2), 31)
    cid = open_campaign(engine, "changji-2023", "652301", CHANGJI_WINDOW)
    pay_file(engine, cid, ("C1", adult, Decimal(410), dt.date(2022, 11, 5)))
    args = ["resident", "identity", adult, "稳定脱贫人口", "--from", "2022-12-01", "--db", db_url]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert "待补发资助参保金" in out.output
    out = CliRunner().invoke(main, args)  # the same identity again: still one 补发
    with session_scope(engine) as s:
        assert [(x.kind, x.amount) for x in list_refunds(s, get_campaign(s, cid))] == [
            ("refund", Decimal(320))
        ]


# --- 丰都 三（三）: graduating college students ---------------------------------------------------


def test_fengdu_3_3_graduating_college_student_covered_to_12_31(engine: Engine, tmp_path: Path) -> None:
    """对当年毕业的参保大学生，其医保待遇享受时间由当年的8月31日延长至当年12月31日. The school
    roster gives the kind of student (学段 本科) and the graduation year (毕业年份); both students
    pay the college standard in the window, the graduating one is covered to 2023-12-31."""
    setup_regions(engine)
    graduating = register(engine, "500230108", "500230", dt.date(2001, 5, 5), 41)
    staying = register(engine, "500230108", "500230", dt.date(2003, 6, 6), 43)
    roster = tmp_path / "高校学生.csv"
    roster.write_text(
        "学生姓名,身份证号码,学校名称,学段,毕业年份\n"
        f"{nm(41)},{graduating},重庆某大学,本科,2023年6月\n"
        f"{nm(43)},{staying},重庆某大学,本科,2025\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        r = load_list(s, roster, "jiaoyu", dt.date(2022, 10, 10), actor="教育导入")
        assert r.population == {"updated": 2, "cleared": 0}
        g = find_resident(s, graduating)
        assert g is not None and (g.student, g.graduation_year) == ("college", 2023)
    cid = open_campaign(engine, "fengdu-shetan-2023", "500230108", FENGDU_WINDOW)
    assert ledger(engine, cid, graduating)["assessment"] == ("due", None, 320)
    day = dt.date(2022, 11, 20)
    got = pay_file(engine, cid, ("G1", graduating, Decimal(320), day), ("G2", staying, Decimal(320), day))
    assert got["status"] == {"accepted": 2}
    assert ledger(engine, cid, graduating)["period"] == (dt.date(2022, 9, 1), dt.date(2023, 12, 31))
    assert ledger(engine, cid, staying)["period"] == (dt.date(2022, 9, 1), dt.date(2023, 8, 31))
    assert reported(engine, cid, graduating, day) == (2, {"start": "2022-09-01", "end": "2023-12-31"})


def test_fengdu_3_3_graduation_year_set_by_cli(engine: Engine, db_url: str) -> None:
    setup_regions(engine)
    student = register(engine, "500230108", "500230", dt.date(2001, 5, 5), 41, student="college")
    args = ["resident", "update", student, "--graduation-year", "2023", "--db", db_url]
    assert CliRunner().invoke(main, args).exit_code == 0
    with session_scope(engine) as s:
        assert found(s, student).graduation_year == 2023


# --- 濉溪 六（四）, 丰都 四（三）: employee-insurance leavers --------------------------------------------


def test_suixi_6_4_employee_leaver_from_the_renshe_list_pays_without_waiting(
    engine: Engine, tmp_path: Path
) -> None:
    """已连续2年以上参加职工基本医疗保险……中断缴费且时间不超过3个月的参保人员……缴费后即可正常享受
    待遇. The September 人社 list marks the employee insured (excluded from the roster); the March
    list says the insurance ended on 2022-01-31 after 5 years (终止日期, 缴费年限): the monthly
    re-assessment takes the resident back and the payment of 2022-04-30 is covered from 05-01."""
    setup_regions(engine)
    leaver = register(engine, "340621100", "340621", dt.date(1988, 8, 8), 51)
    sept = tmp_path / "人社9月.csv"
    sept.write_text(
        f"姓名,身份证号码,险种类型,参保状态\n{nm(51)},{leaver},职工基本医疗保险,正常参保\n", encoding="utf-8"
    )
    with session_scope(engine) as s:
        load_list(s, sept, "renshe", dt.date(2021, 9, 30), actor="人社导入")
    cid = open_campaign(engine, "suixi-2022", "340621", SUIXI_WINDOW)
    assert ledger(engine, cid, leaver)["assessment"] == ("excluded", "employee_insurance", None)
    march = tmp_path / "人社3月.csv"
    march.write_text(
        f"姓名,身份证号码,险种类型,参保状态,终止日期,缴费年限\n{nm(51)},{leaver},310,终止参保,2022-01-31,5\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        load_list(s, march, "renshe", dt.date(2022, 3, 1), actor="人社导入", mode="add")
        r = find_resident(s, leaver)
        assert r is not None and not r.employee_insured
        assert (r.employee_insurance_ended_on, r.employee_insurance_years) == (dt.date(2022, 1, 31), 5)
    reassess(engine, cid, dt.date(2022, 3, 1))
    assert ledger(engine, cid, leaver)["assessment"] == ("due", None, 320)
    got = pay_file(engine, cid, ("E1", leaver, Decimal(320), dt.date(2022, 4, 30)))
    assert got["status"] == {"accepted": 1}
    e = ledger(engine, cid, leaver)
    assert e["receipt"] and e["period"] == (dt.date(2022, 5, 1), dt.date(2022, 12, 31))
    assert reported(engine, cid, leaver, dt.date(2022, 5, 1)) == (
        1,
        {"start": "2022-05-01", "end": "2022-12-31"},
    )


def test_fengdu_4_3_employee_leaver_within_3_months_has_no_waiting_period(
    engine: Engine, db_url: str
) -> None:
    """在职工医保中断缴费3个月内参加居民医保的……不设等待期. The end date is given at the counter
    (CLI ``--employee-ended-on``): paying on 2023-04-15 after leaving on 01-15, covered from the
    next day; a neighbour paying the same day waits 90 days."""
    setup_regions(engine)
    leaver = register(engine, "500230108", "500230", dt.date(1988, 8, 8), 53)
    neighbour = register(engine, "500230108", "500230", dt.date(1987, 7, 7), 55)
    cid = open_campaign(engine, "fengdu-shetan-2023", "500230108", FENGDU_WINDOW)
    args = ["resident", "update", leaver, "--employee-ended-on", "2023-01-15", "--employee-years", "3"]
    out = CliRunner().invoke(main, [*args, "--db", db_url])
    assert out.exit_code == 0, out.output
    day = dt.date(2023, 4, 15)
    got = pay_file(engine, cid, ("F1", leaver, Decimal(350), day), ("F2", neighbour, Decimal(350), day))
    assert got["status"] == {"accepted": 2}
    assert ledger(engine, cid, leaver)["period"] == (dt.date(2023, 4, 16), dt.date(2023, 12, 31))
    assert ledger(engine, cid, neighbour)["period"] == (dt.date(2023, 7, 14), dt.date(2023, 12, 31))


def test_fengdu_4_3_employee_insured_leaver_set_by_cli_is_collected_again(
    engine: Engine, db_url: str
) -> None:
    """An end date given for someone marked employee-insured takes them out of employee insurance
    (the registry rule): the next re-assessment of the changed collects from them."""
    setup_regions(engine)
    leaver = register(engine, "500230108", "500230", dt.date(1988, 8, 8), 53, employee_insured=True)
    cid = open_campaign(engine, "fengdu-shetan-2023", "500230108", FENGDU_WINDOW)
    assert ledger(engine, cid, leaver)["assessment"][:2] == ("excluded", "employee_insurance")
    args = ["resident", "update", leaver, "--employee-ended-on", "2022-12-20", "--employee-years", "4"]
    assert CliRunner().invoke(main, [*args, "--db", db_url]).exit_code == 0
    reassess(engine, cid, dt.date(2022, 12, 21))
    assert ledger(engine, cid, leaver)["assessment"] == ("due", None, 350)


# --- 人社 lists by insurance type (昌吉 六) ------------------------------------------------------


def test_changji_6_resident_pension_rows_of_a_renshe_list_exclude_nobody(
    engine: Engine, tmp_path: Path
) -> None:
    """各级人力资源和社会保障部门负责以接口方式共享2022年度城乡居民养老保险缴费和正常享受待遇人员信息:
    shared, not a reason to exclude. Only 职工基本医疗保险 rows mark employee insurance; a list of
    pension rows alone (replace mode) clears nobody's employee insurance."""
    setup_regions(engine)
    pensioner = register(engine, "652301001", "652301", dt.date(1955, 1, 1), 61)
    employee = register(engine, "652301001", "652301", dt.date(1985, 1, 1), 63)
    listing = tmp_path / "人社.csv"
    listing.write_text(
        "姓名,身份证号码,险种类型,参保状态\n"
        f"{nm(61)},{pensioner},城乡居民基本养老保险,正常享受待遇\n"
        f"{nm(63)},{employee},职工基本医疗保险,正常参保\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        r = load_list(s, listing, "renshe", dt.date(2022, 10, 10), actor="人社导入")
    assert r.population == {"updated": 1, "cleared": 0, "shared": 1}
    assert r.rows == {"loaded": 1, "unchanged": 1}
    pension_only = tmp_path / "人社养老.csv"
    pension_only.write_text(
        f"姓名,身份证号码,险种类型,参保状态\n{nm(61)},{pensioner},170,正常缴费\n", encoding="utf-8"
    )
    with session_scope(engine) as s:
        r2 = load_list(s, pension_only, "renshe", dt.date(2022, 10, 20), actor="人社导入")
        assert r2.population == {"updated": 0, "cleared": 0, "shared": 1}
        assert [found(s, x).employee_insured for x in (pensioner, employee)] == [False, True]
    cid = open_campaign(engine, "changji-2023", "652301", CHANGJI_WINDOW)
    assert ledger(engine, cid, pensioner)["assessment"] == ("due", None, 410)
    assert ledger(engine, cid, employee)["assessment"][:2] == ("excluded", "employee_insurance")
    with session_scope(engine) as s:
        on_roster = [row[2] for row in roster_rows(s, get_campaign(s, cid))]
    assert on_roster == [pensioner]
    assert pay_file(engine, cid, ("P1", pensioner, Decimal(410), dt.date(2022, 11, 3)))["status"] == {
        "accepted": 1
    }
    assert ledger(engine, cid, pensioner)["period"] == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))


def test_renshe_list_with_an_unknown_insurance_type_names_the_row(engine: Engine, tmp_path: Path) -> None:
    setup_regions(engine)
    someone = register(engine, "652301001", "652301", dt.date(1985, 1, 1), 63)
    listing = tmp_path / "人社.csv"
    listing.write_text(f"姓名,身份证号码,险种类型\n{nm(63)},{someone},商业保险\n", encoding="utf-8")
    with session_scope(engine) as s:
        r = load_list(s, listing, "renshe", dt.date(2022, 10, 10), actor="人社导入")
        assert r.rows == {"invalid": 1}
        assert not found(s, someone).employee_insured


# --- newborns, veterans, waiting-period exemptions -----------------------------------------------


def test_suixi_5_newborns_within_90_days_from_birth_and_later_from_the_next_day(engine: Engine) -> None:
    """新生儿自出生之日起90天内完成参保缴费的，自出生之日起享受……超过90日参保的新生儿，自缴费次日起."""
    setup_regions(engine)
    mother = register(engine, "340621100", "340621", dt.date(1992, 2, 2), 71)
    cid = open_campaign(engine, "suixi-2022", "340621", SUIXI_WINDOW)
    early, late = person("340621", dt.date(2022, 3, 11), 72), person("340621", dt.date(2022, 1, 5), 74)
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        for number, on in ((early, dt.date(2022, 4, 1)), (late, dt.date(2022, 6, 20))):
            new = NewResident(number, "婴儿", "340621100", guardian_id_number=mother)
            out = register_newborn(s, c, new, on, actor=ACTOR)
            assert not out.enrolled_with_guardian and out.assessment.total_due_fen == 32000
    got = pay_file(
        engine,
        cid,
        ("N1", early, Decimal(320), dt.date(2022, 4, 1)),
        ("N2", late, Decimal(320), dt.date(2022, 6, 20)),
    )
    assert got["status"] == {"accepted": 2}
    assert ledger(engine, cid, early)["period"] == (dt.date(2022, 3, 11), dt.date(2022, 12, 31))
    assert ledger(engine, cid, late)["period"] == (dt.date(2022, 6, 21), dt.date(2022, 12, 31))
    assert reported(engine, cid, early, dt.date(2022, 4, 1)) == (
        2,
        {"start": "2022-03-11", "end": "2022-12-31"},
    )


def test_suixi_6_4_veteran_paying_after_the_window_is_covered_from_the_next_day(engine: Engine) -> None:
    """退役军人及其未就业配偶，按规定参加基本医疗保险，缴费后即可正常享受待遇."""
    setup_regions(engine)
    veteran = register(engine, "340621100", "340621", dt.date(1990, 9, 9), 81)
    spouse = register(engine, "340621100", "340621", dt.date(1991, 9, 9), 82)
    with session_scope(engine) as s:
        add_membership(s, veteran, "退役军人", dt.date(2021, 1, 1), actor=ACTOR)
        add_membership(s, spouse, "退役军人未就业配偶", dt.date(2021, 1, 1), actor=ACTOR)
    cid = open_campaign(engine, "suixi-2022", "340621", SUIXI_WINDOW)
    day = dt.date(2022, 5, 2)
    got = pay_file(engine, cid, ("V1", veteran, Decimal(320), day), ("V2", spouse, Decimal(320), day))
    assert got["status"] == {"accepted": 2}
    for number in (veteran, spouse):
        v = ledger(engine, cid, number)
        assert v["receipt"] and v["period"] == (dt.date(2022, 5, 3), dt.date(2022, 12, 31))


def test_fengdu_4_3_low_income_paying_after_march_has_no_waiting_period(engine: Engine) -> None:
    """农村低收入人口、稳定脱贫人口等特殊群体，不设等待期: a 低保 resident paying 35 yuan on
    2023-04-15 (late band: otherwise 90 days) is covered from the next day."""
    setup_regions(engine)
    dibao = register(engine, "500230108", "500230", dt.date(1966, 6, 6), 91)
    stable = register(engine, "500230108", "500230", dt.date(1967, 7, 7), 93)
    with session_scope(engine) as s:
        add_membership(s, dibao, "低保对象", dt.date(2022, 1, 1), actor=ACTOR)
        add_membership(s, stable, "稳定脱贫人口", dt.date(2022, 1, 1), actor=ACTOR)
    cid = open_campaign(engine, "fengdu-shetan-2023", "500230108", FENGDU_WINDOW)
    day = dt.date(2023, 4, 15)
    got = pay_file(engine, cid, ("L1", dibao, Decimal(35), day), ("L2", stable, Decimal(300), day))
    assert got["status"] == {"accepted": 2}
    for number in (dibao, stable):
        assert ledger(engine, cid, number)["period"] == (dt.date(2023, 4, 16), dt.date(2023, 12, 31))
