"""Roster, reconciliation, duplicate enrollments, newborns and identity changes after payment."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from dbfixtures import ACTOR, add_people, give_identity, person, setup_regions
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from urrbmi import ids
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.changes import identity_changes, record_external_enrollment, register_newborn, statement
from urrbmi.campaign.payments import apply_payments, read_lines, record_payment
from urrbmi.campaign.reports import ROSTER_HEADERS, duplicate_enrollments, reconcile, write_roster
from urrbmi.db.models import BenefitPeriod, Enrollment, Refund, Resident
from urrbmi.db.session import session_scope
from urrbmi.errors import PolicyGap
from urrbmi.money import from_fen, to_fen
from urrbmi.policy import ResidentInput, load_policy, quote
from urrbmi.registry.residents import NewResident, add_resident, update_resident


def q(policy: str, number: str, paid_on: dt.date, cats: tuple[str, ...] = (), **kw: object) -> Decimal:
    data = {"id_number": number, "categories": list(cats), "paid_on": paid_on, **kw}
    return quote(load_policy(policy), ResidentInput.parse(data)).total_due


def campaign(engine: Engine, policy: str, region: str, as_of: dt.date) -> int:
    with session_scope(engine) as s:
        c = create_campaign(s, policy, region, actor=ACTOR)
        assess(s, c, as_of, actor=ACTOR)
        return c.id


def pay(engine: Engine, cid: int, number: str, amount: Decimal, ref: str, paid_on: dt.date) -> str:
    with session_scope(engine) as s:
        r = record_payment(
            s,
            get_campaign(s, cid),
            id_number=number,
            amount=amount,
            channel="cash",
            external_ref=ref,
            paid_on=paid_on,
            actor=ACTOR,
            may_backdate=True,
        )
        return r.payment.status


AS_OF = dt.date(2021, 12, 15)


def test_roster_csv_and_xlsx(engine: Engine, tmp_path: Path) -> None:
    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 3)
    give_identity(engine, people[0], "低保对象", dt.date(2021, 1, 1))
    cid = campaign(engine, "qianjiang-2022", "500114", AS_OF)
    assert pay(engine, cid, people[2], q("qianjiang-2022", people[2], AS_OF), "R1", AS_OF) == "accepted"
    with session_scope(engine) as s:
        n = write_roster(s, get_campaign(s, cid), tmp_path / "r.csv", "csv")
        nx = write_roster(s, get_campaign(s, cid), tmp_path / "r.xlsx", "xlsx", include_paid=True)
    assert (n, nx) == (2, 3)
    raw = (tmp_path / "r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(rows[0]) == ROSTER_HEADERS and rows[0][13] == "应缴金额（元）"
    by_id = {r[2]: r for r in rows[1:]}
    assert set(by_id) == {people[0], people[1]}  # the paid resident is not on the collection roster
    assert Decimal(by_id[people[0]][13]) == q("qianjiang-2022", people[0], AS_OF, ("低保对象",))
    assert by_id[people[0]][8] == "低保对象"
    ws = load_workbook(tmp_path / "r.xlsx", read_only=True).worksheets[0]
    xrows = list(ws.iter_rows(values_only=True))
    assert xrows[0] == ROSTER_HEADERS and len(xrows) == 4
    assert all(isinstance(r[2], str) and len(r[2]) == 18 for r in xrows[1:])


HOSTILE = ('=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1")


def test_roster_writes_hostile_names_as_text(engine: Engine, tmp_path: Path) -> None:
    """Issue 13.1: a registered name that looks like a formula is text in the roster: a string
    cell (quote-prefixed) in XLSX, after an apostrophe in CSV; amounts are untouched."""
    setup_regions(engine)
    with session_scope(engine) as s:
        for i, name in enumerate(HOSTILE):
            add_resident(
                s,
                NewResident(person("500114", dt.date(1980, 1, 1 + i), 11 + 2 * i), name, "500114001"),
                actor=ACTOR,
            )
    cid = campaign(engine, "qianjiang-2022", "500114", AS_OF)
    with session_scope(engine) as s:
        assert write_roster(s, get_campaign(s, cid), tmp_path / "r.xlsx", "xlsx") == len(HOSTILE)
        assert write_roster(s, get_campaign(s, cid), tmp_path / "r.csv", "csv") == len(HOSTILE)
    ws = load_workbook(tmp_path / "r.xlsx").worksheets[0]
    names = {row[1].value: row for row in ws.iter_rows(min_row=2)}
    assert set(names) == set(HOSTILE)  # the text is preserved for a human
    for row in names.values():
        assert all(c.data_type != "f" for c in row)
        assert row[1].data_type == "s" and row[1].quotePrefix
    rows = list(csv.reader((tmp_path / "r.csv").read_text("utf-8-sig").splitlines(keepends=True)))
    assert sorted(r[1] for r in rows[1:]) == sorted("'" + h for h in HOSTILE)
    due = str(q("qianjiang-2022", person("500114", dt.date(1980, 1, 1), 11), AS_OF))
    assert {Decimal(r[13]) for r in rows[1:]} == {Decimal(due)}  # amounts are plain numbers


def test_reconcile_sorts_payments_and_compares_a_statement(engine: Engine, tmp_path: Path) -> None:
    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 4)
    cid = campaign(engine, "qianjiang-2022", "500114", AS_OF)
    d = q("qianjiang-2022", people[0], AS_OF)
    stranger = person("500114", dt.date(1999, 9, 9), 99)
    lines = read_lines(
        [
            {"external_ref": "T1", "id_number": people[0], "amount": str(d), "paid_on": "2021-12-20"},
            {"external_ref": "T2", "id_number": people[1], "amount": str(d + 10), "paid_on": "2021-12-20"},
            {"external_ref": "T3", "id_number": stranger, "amount": str(d), "paid_on": "2021-12-20"},
            {"external_ref": "T4", "id_number": people[0], "amount": str(d), "paid_on": "2021-12-21"},
        ]
    )
    with session_scope(engine) as s:
        apply_payments(s, get_campaign(s, cid), "tax", lines, actor=ACTOR)
    stmt = tmp_path / "tax.csv"
    stmt.write_text(
        "流水号,身份证号码,金额,日期\n"
        f"T1,{people[0]},{d},2021-12-20\nT2,{people[1]},{d},2021-12-20\nT9,{people[2]},{d},2021-12-20\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        rec = reconcile(s, get_campaign(s, cid), statement=stmt.read_bytes(), channel="tax")
    assert rec.matched["count"] == 1 and rec.matched["amount"] == d
    assert rec.unpaid["count"] == 3 and rec.unpaid["amount"] == 3 * d
    assert [x["external_ref"] for x in rec.unmatched] == ["T3"]
    assert [x["external_ref"] for x in rec.duplicates] == ["T4"]
    assert [(x["external_ref"], x["amount"] - x["due"]) for x in rec.mismatches] == [("T2", 10)]
    assert stranger not in str(rec.as_dict())
    assert rec.statement == {
        "channel": "tax",
        "statement_lines": 3,
        "in_statement_not_in_ledger": ["T9"],
        "in_ledger_not_in_statement": ["T3", "T4"],
        "amount_or_date_differs": ["T2"],
    }


def test_duplicate_enrollment_report(engine: Engine) -> None:
    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", 3)
    cid = campaign(engine, "qianjiang-2022", "500114", AS_OF)
    for i, n in enumerate(people[:2]):
        pay(engine, cid, n, q("qianjiang-2022", n, AS_OF), f"D{i}", AS_OF)
    with session_scope(engine) as s:
        record_external_enrollment(s, people[0], 2022, "500230", enrolled_on=AS_OF, actor=ACTOR)
        record_external_enrollment(s, people[2], 2022, "500230", enrolled_on=AS_OF, actor=ACTOR)
        update_resident(s, people[1], {"employee_insured": True}, actor=ACTOR)
    with session_scope(engine) as s:
        dup = duplicate_enrollments(s, 2022)
    assert [d["name"] for d in dup] == ["居民0", "居民1"]
    assert [e["region"] for e in dup[0]["enrollments"]] == ["500114001", "500230"]
    assert dup[1]["employee_insured"] is True


def _listed_by_definition(engine: Engine, year: int, scope: str) -> list[tuple[str, str]]:
    """The list read straight off every enrollment: enrolled more than once for the year, or now
    employee-insured with a resident-scheme enrollment; by resident id."""
    with session_scope(engine) as s:
        kinds: dict[int, list[str]] = {}
        for rid, kind in s.execute(
            select(Enrollment.resident_id, Enrollment.insurance_type).where(
                Enrollment.benefit_year == year, Enrollment.status == "enrolled"
            )
        ):
            kinds.setdefault(rid, []).append(kind)
        people = s.scalars(select(Resident).order_by(Resident.id)).all()
        return [
            (ids.mask(r.id_number), r.name)
            for r in people
            if r.region_code.startswith(scope)
            and (len(kinds.get(r.id, [])) > 1 or (r.employee_insured and "390" in kinds.get(r.id, [])))
        ]


def test_duplicate_pages_join_up_to_the_whole_list(engine: Engine) -> None:
    """The list paged in SQL: its pages, concatenated, are the whole list, in and out of a region
    scope, and the whole list is the definition read off every enrollment."""
    setup_regions(engine)
    here = add_people(engine, "500114001", "500114", 12)
    there = add_people(engine, "500230108", "500230", 3, start_year=1970)
    cid = campaign(engine, "qianjiang-2022", "500114", AS_OF)
    for i, n in enumerate(here[:8]):
        pay(engine, cid, n, q("qianjiang-2022", n, AS_OF), f"P{i}", AS_OF)

    def elsewhere(number: str, region: str, year: int = 2022, kind: str = "390") -> None:
        with session_scope(engine) as s:
            record_external_enrollment(
                s, number, year, region, insurance_type=kind, enrolled_on=AS_OF, actor=ACTOR
            )

    for n in here[0:8:2]:
        elsewhere(n, "500230")  # paid here, enrolled there too
    elsewhere(here[3], "500230", year=2021)  # another year: not listed
    elsewhere(there[0], "500114001")
    elsewhere(there[0], "652301")  # twice elsewhere, never here
    elsewhere(there[1], "500114001")  # once: not listed
    elsewhere(here[9], "500230", kind="310")  # employee insurance only: not listed
    elsewhere(here[11], "500230")  # resident scheme elsewhere, employee-insured now: listed
    with session_scope(engine) as s:
        for n in (here[1], here[9], here[10], here[11]):  # here[10]: not enrolled, not listed
            update_resident(s, n, {"employee_insured": True}, actor=ACTOR)
    for scope, count in (("", 7), ("500114", 6), ("500230", 1), ("652301", 0)):
        with session_scope(engine) as s:
            whole = duplicate_enrollments(s, 2022, scope=scope)
            assert [(d["id_number"], d["name"]) for d in whole] == _listed_by_definition(engine, 2022, scope)
            assert len(whole) == count
            for size in (1, 2, 3, 5):
                pages = [
                    duplicate_enrollments(s, 2022, scope=scope, limit=size, offset=at)
                    for at in range(0, count + 1, size)
                ]
                assert all(len(p) == size for p in pages[:-1]) and len(pages[-1]) < size
                assert [d for p in pages for d in p] == whole
    with session_scope(engine) as s:
        first = duplicate_enrollments(s, 2022)[0]
    assert [(e["region"], e["source"]) for e in first["enrollments"]] == [
        ("500114001", "payment"),
        ("500230", "external"),
    ]


def test_newborn_follows_an_enrolled_guardian_in_fengdu(engine: Engine) -> None:
    setup_regions(engine)
    mother, unpaid = add_people(engine, "500230108", "500230", 2, start_year=1992)
    window = dt.date(2022, 11, 10)
    cid = campaign(engine, "fengdu-shetan-2023", "500230108", window)
    assert pay(engine, cid, mother, q("fengdu-shetan-2023", mother, window), "F1", window) == "accepted"
    born = dt.date(2023, 2, 10)
    baby = person("500230", born, 12)
    orphan_baby = person("500230", born, 14)
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        out = register_newborn(
            s,
            c,
            NewResident(baby, "婴儿", "500230108", guardian_id_number=mother),
            dt.date(2023, 3, 1),
            actor=ACTOR,
        )
        assert out.enrolled_with_guardian and out.assessment.total_due_fen == 0
        other = register_newborn(
            s,
            c,
            NewResident(orphan_baby, "婴儿二", "500230108", guardian_id_number=unpaid),
            dt.date(2023, 3, 1),
            actor=ACTOR,
        )  # the guardian has not paid
    assert not other.enrolled_with_guardian and other.assessment.total_due_fen
    assert from_fen(other.assessment.total_due_fen) == q(
        "fengdu-shetan-2023", orphan_baby, dt.date(2023, 3, 1)
    )
    with session_scope(engine) as s:
        e = s.scalars(select(Enrollment).where(Enrollment.source == "guardian")).one()
        bp = s.scalars(select(BenefitPeriod).where(BenefitPeriod.enrollment_id == e.id)).one()
        assert bp.start_on == born
        st = statement(s, baby, dt.date(2023, 3, 1))
    assert st["campaigns"][0]["enrolled_by"] == "guardian" and baby not in str(st)


def test_identity_change_in_changji_refunds_the_difference(engine: Engine) -> None:
    setup_regions(engine)
    people = add_people(engine, "652301001", "652301", 2)
    window = dt.date(2022, 11, 1)
    cid = campaign(engine, "changji-2023", "652301", window)
    paid = q("changji-2023", people[0], window)
    assert pay(engine, cid, people[0], paid, "C1", window) == "accepted"
    assert pay(engine, cid, people[1], paid, "C2", window) == "accepted"
    give_identity(engine, people[0], "低保对象", dt.date(2022, 12, 1))
    with session_scope(engine) as s:
        items = identity_changes(s, get_campaign(s, cid), dt.date(2022, 12, 15), actor=ACTOR)
    new_due = q("changji-2023", people[0], window, ("低保对象",))
    assert len(items) == 1 and items[0].action == "refund" and items[0].amount == paid - new_due > 0
    with session_scope(engine) as s:  # running it again does not duplicate the refund
        identity_changes(s, get_campaign(s, cid), dt.date(2022, 12, 15), actor=ACTOR)
        refunds = s.scalars(select(Refund)).all()
    assert [(r.kind, r.amount_fen, r.status) for r in refunds] == [
        ("refund", to_fen(paid - new_due), "pending")
    ]


def test_identity_change_in_qianjiang_makes_no_difference(engine: Engine) -> None:
    setup_regions(engine)
    [p] = add_people(engine, "500114001", "500114", 1)
    cid = campaign(engine, "qianjiang-2022", "500114", AS_OF)
    pay(engine, cid, p, q("qianjiang-2022", p, AS_OF), "Q1", AS_OF)
    give_identity(engine, p, "特困人员", dt.date(2022, 1, 5))
    with session_scope(engine) as s:
        items = identity_changes(s, get_campaign(s, cid), dt.date(2022, 2, 1), actor=ACTOR)
        assert s.scalars(select(Refund)).all() == []
    assert [(i.action, i.amount, i.new_categories) for i in items] == [("none", Decimal(0), ("tekun",))]


def test_identity_change_where_the_notice_is_silent_is_a_gap(engine: Engine) -> None:
    setup_regions(engine)
    [p] = add_people(engine, "340621100", "340621", 1)
    paid_on = dt.date(2021, 11, 1)
    cid = campaign(engine, "suixi-2022", "340621", paid_on)
    assert pay(engine, cid, p, q("suixi-2022", p, paid_on), "S1", paid_on) == "accepted"
    give_identity(engine, p, "低保对象", dt.date(2021, 12, 1))
    with pytest.raises(PolicyGap), session_scope(engine) as s:
        identity_changes(s, get_campaign(s, cid), dt.date(2021, 12, 15), actor=ACTOR)
