"""The ledger (urrbmi.campaign.ledger): the one writer of enrollments, benefit periods and money
owed back; and the counter payment that goes through it in a few statements."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from dbfixtures import ACTOR, add_people, setup_regions
from sqlalchemy import Date, Engine, Integer, String, event, func, literal, select
from sqlalchemy.exc import IntegrityError

from urrbmi.campaign import ledger
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.payments import apply_payments, read_lines, record_payment
from urrbmi.db.models import (
    Assessment,
    AuditLog,
    BenefitPeriod,
    Enrollment,
    EnrollmentSource,
    Payment,
    Receipt,
    Refund,
    Resident,
)
from urrbmi.db.models_imports import PaymentStaging
from urrbmi.db.session import session_scope
from urrbmi.money import from_fen

AS_OF = dt.date(2021, 12, 15)
PACKAGE = Path(__file__).resolve().parents[2] / "urrbmi"

# --- nothing writes enrollments, benefit periods or refunds outside the ledger ---------------------

TABLES = ("enrollments", "benefit_periods")
MODELS = ("Enrollment", "BenefitPeriod")
SQL = re.compile(r"(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(enrollments|benefit_periods|refunds)\b", re.I)
# (module, what): the ledger itself; the refund lifecycle updates refunds it did not create
ALLOWED = {
    ("campaign/ledger.py", "*"),
    ("campaign/refunds/decide.py", "update(Refund)"),
    ("campaign/refunds/channel.py", "update(Refund)"),
}


def ledger_writes(source: str) -> list[tuple[int, str]]:
    """What in ``source`` writes ``enrollments``/``benefit_periods`` (or creates ``refunds``):
    SQL text, ORM constructors, Core insert/update/delete of the models or their tables."""
    found = [
        (source.count("\n", 0, m.start()) + 1, m.group(0).split()[0].upper()) for m in SQL.finditer(source)
    ]
    tree = ast.parse(source)
    aliases = {  # en = _t(Enrollment), e = aliased(Enrollment), ...
        t.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name) and any(m in ast.unparse(node.value) for m in (*MODELS, "Refund"))
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name in (*MODELS, "Refund"):
            found.append((node.lineno, f"{name}(…)"))
        elif name in ("insert", "update", "delete") and node.args:
            target = ast.unparse(node.args[0])
            hit = next((m for m in (*MODELS, "Refund") if m in target), None)
            if hit is None and target in aliases:
                hit = target
            if hit is not None and not (name != "insert" and hit == "Refund"):
                found.append((node.lineno, f"{name}({hit})"))
    return sorted(found)


def test_the_scanner_finds_enrollment_writers() -> None:
    src = (
        "x = text('INSERT INTO enrollments (a) SELECT 1')\n"
        "y = text('''UPDATE enrollments SET status = 1''')\n"
        "e = Enrollment(resident_id=1)\n"
        "session.execute(insert(BenefitPeriod).values(a=1))\n"
        "en = _t(Enrollment)\n"
        "s.execute(insert(en).from_select([], q))\n"
        "s.execute(update(Enrollment).where(c).values(status='cancelled'))\n"
        "s.execute(insert(Refund).values(kind='refund'))\n"
        "s.execute(update(Refund).values(status='paid'))\n"
        "s.execute(select(Enrollment.id))\n"
    )
    assert [n for _, n in ledger_writes(src)] == [
        "INSERT",
        "UPDATE",
        "Enrollment(…)",
        "insert(BenefitPeriod)",
        "insert(en)",
        "update(Enrollment)",
        "insert(Refund)",
    ]


def test_no_enrollment_or_benefit_period_written_outside_the_ledger() -> None:
    stray = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if (rel, "*") in ALLOWED or rel.startswith("db/migrations/"):  # schema changes, not writes
            continue
        for line, what in ledger_writes(path.read_text("utf-8")):
            if (rel, what) not in ALLOWED:
                stray.append(f"urrbmi/{rel}:{line} {what}")
    assert stray == [], (
        "write enrollments, benefit periods and refunds through urrbmi.campaign.ledger: " + ", ".join(stray)
    )


# --- the ledger on both databases ------------------------------------------------------------


def world(engine: Engine, n: int = 4) -> tuple[int, list[int]]:
    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", n)
    with session_scope(engine) as s:
        c = create_campaign(s, "qianjiang-2022", "500114", actor=ACTOR)
        assess(s, c, AS_OF, actor=ACTOR)
        ids = list(s.scalars(select(Resident.id).where(Resident.id_number.in_(people)).order_by(Resident.id)))
        return c.id, ids


def rows(engine: Engine) -> list[tuple[Any, ...]]:
    with session_scope(engine) as s:
        return [
            tuple(r)
            for r in s.execute(
                select(
                    Enrollment.resident_id,
                    Enrollment.status,
                    Enrollment.source,
                    Enrollment.insurance_type,
                    BenefitPeriod.start_on,
                    BenefitPeriod.end_on,
                )
                .outerjoin(BenefitPeriod, BenefitPeriod.enrollment_id == Enrollment.id)
                .order_by(Enrollment.id)
            )
        ]


START, END = dt.date(2022, 1, 1), dt.date(2022, 12, 31)


def test_enroll_a_set_of_one_and_of_many_with_their_periods_and_one_audit_row(engine: Engine) -> None:
    cid, people = world(engine)
    with session_scope(engine, write=True) as s:
        one = ledger.enroll(
            s,
            [ledger.NewEnrollment(cid, people[0], 2022, "500114001", AS_OF, START, END)],
            source=EnrollmentSource.GUARDIAN,
            actor=ACTOR,
            audit_key="test:one",
        )
        many = ledger.enroll(
            s,
            [
                ledger.NewEnrollment(None, people[2], 2022, "500101", AS_OF, insurance_type="310"),
                ledger.NewEnrollment(cid, people[1], 2022, "500114001", AS_OF, START, dt.date(2022, 6, 30)),
            ],
            source=EnrollmentSource.EXTERNAL,
            actor=ACTOR,
            audit_key="test:many",
        )
        assert len(one) == 1 and len(many) == 2 and len(set(one + many)) == 3
        audits = s.execute(
            select(AuditLog.row_key, AuditLog.new).where(AuditLog.table_name == "enrollments")
        ).all()
    assert rows(engine) == [
        (people[0], "enrolled", "guardian", "390", START, END),
        (people[2], "enrolled", "external", "310", None, None),
        (people[1], "enrolled", "external", "390", START, dt.date(2022, 6, 30)),
    ]
    assert sorted(audits) == [
        ("test:many", {"source": "external", "enrolled": 2}),
        ("test:one", {"source": "guardian", "enrolled": 1}),
    ]


def test_the_database_refuses_a_second_live_enrollment_of_a_year(engine: Engine) -> None:
    cid, people = world(engine)
    new = ledger.NewEnrollment(cid, people[0], 2022, "500114001", AS_OF, START, END)
    with session_scope(engine, write=True) as s:
        ledger.enroll(s, [new], source=EnrollmentSource.SUBSIDY, actor=ACTOR, audit_key=None)
    with pytest.raises(IntegrityError), session_scope(engine, write=True) as s:
        ledger.enroll(s, [new], source=EnrollmentSource.PAYMENT, actor=ACTOR, audit_key=None)


def test_enroll_from_a_select_skips_the_enrolled_and_cancel_drops_periods(engine: Engine) -> None:
    cid, people = world(engine)
    with session_scope(engine, write=True) as s:
        ledger.enroll(
            s,
            [ledger.NewEnrollment(cid, people[0], 2022, "500114001", AS_OF, START, END)],
            source=EnrollmentSource.GUARDIAN,
            actor=ACTOR,
            audit_key=None,
        )
    chosen = (
        select(
            Resident.id.label("resident_id"),
            Resident.region_code.label("region_code"),
        )
        .where(Resident.id.in_(people[:3]))
        .subquery()
    )
    q = select(
        literal(cid, Integer()).label("campaign_id"),
        chosen.c.resident_id,
        literal(2022, Integer()).label("benefit_year"),
        chosen.c.region_code,
        literal("390", String()).label("insurance_type"),
        ledger.typed_null("int").label("payment_id"),
        literal(AS_OF, Date()).label("enrolled_on"),
        literal(START, Date()).label("start_on"),
        literal(END, Date()).label("end_on"),
    )
    with session_scope(engine, write=True) as s:
        n = ledger.enroll_from(
            s, q, source=EnrollmentSource.SUBSIDY, actor=ACTOR, audit_key="test:set", unless_enrolled=True
        )
        assert n == 2  # people[0] is enrolled already
    assert sorted(r for r in rows(engine) if r[2] == "subsidy") == sorted(
        (p, "enrolled", "subsidy", "390", START, END) for p in people[1:3]
    )
    with session_scope(engine, write=True) as s:
        gone = ledger.cancel(
            s,
            (Enrollment.source == EnrollmentSource.SUBSIDY) & (Enrollment.resident_id == people[1]),
            actor=ACTOR,
            audit_key="test:cancel",
            drop_periods=True,
        )
        again = ledger.cancel(s, Enrollment.resident_id == people[1], actor=ACTOR, audit_key="test:cancel")
        assert (gone, again) == (1, 0)
        assert s.scalar(select(func.count()).where(AuditLog.row_key == "test:cancel")) == 1
    assert (people[1], "cancelled", "subsidy", "390", None, None) in rows(engine)
    # cancelled: the resident may be enrolled again (the unique index counts live rows only)
    with session_scope(engine, write=True) as s:
        assert (
            ledger.enroll_from(
                s, q, source=EnrollmentSource.SUBSIDY, actor=ACTOR, audit_key=None, unless_enrolled=True
            )
            == 1
        )


def test_owe_records_a_pending_refund(engine: Engine) -> None:
    cid, people = world(engine)
    with session_scope(engine, write=True) as s:
        ledger.owe(
            s,
            campaign_id=cid,
            resident_id=people[0],
            payment_id=None,
            kind="top_up",
            amount_fen=500,
            reason="r",
            actor=ACTOR,
        )
        r = s.scalars(select(Refund)).one()
    assert (r.kind, r.amount_fen, r.status, r.created_by) == ("top_up", 500, "pending", ACTOR)


# --- the counter payment: few statements, the same rows as a channel's file -------------------


def _due(engine: Engine, cid: int, resident_id: int) -> tuple[str, int]:
    with session_scope(engine) as s:
        number, fen = s.execute(
            select(Resident.id_number, Assessment.total_due_fen)
            .join(Assessment, Assessment.resident_id == Resident.id)
            .where(Assessment.campaign_id == cid, Resident.id == resident_id)
        ).one()
        assert fen is not None, "the resident has a price"
        return number, fen


# measured: SQLite 8 (the read; SAVEPOINT; payment, receipt, enrollment, benefit period, audit
# row; RELEASE), PostgreSQL 2 (the read; all five writes in one statement, no savepoint), where
# the staging pipeline sent 15
COUNTER_STATEMENTS = {"sqlite": 8, "postgresql": 2}


def test_one_counter_payment_sends_few_statements(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URRBMI_TODAY", AS_OF.isoformat())
    cid, people = world(engine)
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement.split()[0].upper())

    for k, rid in enumerate(people[1:3]):
        number, fen = _due(engine, cid, rid)
        with session_scope(engine, write=True) as s:
            c = get_campaign(s, cid)
            event.listen(engine, "before_cursor_execute", count)
            try:
                r = record_payment(
                    s,
                    c,
                    id_number=number,
                    amount=from_fen(fen),
                    channel="cash",
                    external_ref=f"S-{k}",
                    paid_on=AS_OF,
                    actor=ACTOR,
                )
            finally:
                event.remove(engine, "before_cursor_execute", count)
        assert r.payment.status == "accepted" and r.receipt_no is not None
        assert 0 < len(sent) <= COUNTER_STATEMENTS[engine.dialect.name], sent
        assert "DELETE" not in sent  # no staging row written and removed
        sent.clear()
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(PaymentStaging)) == 0
        assert s.scalar(select(func.count()).select_from(Receipt)) == 2


def test_counter_payment_writes_the_rows_a_channel_file_writes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URRBMI_TODAY", AS_OF.isoformat())
    cid, people = world(engine)
    (n1, f1), (n2, f2) = _due(engine, cid, people[1]), _due(engine, cid, people[2])
    with session_scope(engine, write=True) as s:
        c = get_campaign(s, cid)
        record_payment(
            s,
            c,
            id_number=n1,
            amount=from_fen(f1),
            channel="cash",
            external_ref="K-1",
            paid_on=AS_OF,
            actor=ACTOR,
        )
        line = {"external_ref": "K-2", "id_number": n2, "amount": str(from_fen(f2)), "paid_on": str(AS_OF)}
        apply_payments(s, c, "cash", read_lines([line]), actor=ACTOR)
    with session_scope(engine) as s:
        got = s.execute(
            select(
                Payment.resident_id,
                Payment.status,
                Payment.hold_reason,
                Payment.amount_fen,
                Payment.due_fen,
                Payment.paid_on,
                Payment.recorded_by,
                Enrollment.campaign_id,
                Enrollment.benefit_year,
                Enrollment.region_code,
                Enrollment.insurance_type,
                Enrollment.status,
                Enrollment.source,
                Enrollment.enrolled_on,
                BenefitPeriod.start_on,
                BenefitPeriod.end_on,
                Receipt.receipt_no.is_not(None),
            )
            .join(Enrollment, Enrollment.payment_id == Payment.id)
            .join(BenefitPeriod, BenefitPeriod.enrollment_id == Enrollment.id)
            .join(Receipt, Receipt.payment_id == Payment.id)
            .order_by(Payment.id)
        ).all()
    assert len(got) == 2
    counter, file = (tuple(r) for r in got)
    assert counter[0] == people[1] and file[0] == people[2]
    assert counter[1:] == file[1:]
