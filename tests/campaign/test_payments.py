"""Payments: acceptance, holds, idempotency, one-transaction files, and racing agents."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dbfixtures import ACTOR, add_people, give_identity, setup_regions
from sqlalchemy import Engine, func, select

from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import create_campaign, get_campaign
from urrbmi.campaign.payments import apply_payments, read_lines, read_payment_file, record_payment
from urrbmi.db.models import (
    AuditLog,
    BenefitPeriod,
    Enrollment,
    Payment,
    Receipt,
)
from urrbmi.db.models_imports import PaymentStaging
from urrbmi.db.session import session_scope
from urrbmi.errors import InvalidInput
from urrbmi.money import from_fen, to_fen
from urrbmi.policy import ResidentInput, load_policy, quote
from urrbmi.registry.errors import AmountMismatch, Conflict

AS_OF = dt.date(2021, 12, 15)
QJ = load_policy("qianjiang-2022")


def due(number: str, paid_on: dt.date = AS_OF, cats: tuple[str, ...] = ()) -> Decimal:
    return quote(
        QJ, ResidentInput.parse({"id_number": number, "categories": cats, "paid_on": paid_on})
    ).total_due


def world(engine: Engine, n: int = 4) -> tuple[int, list[str]]:
    setup_regions(engine)
    people = add_people(engine, "500114001", "500114", n)
    give_identity(engine, people[0], "低保对象", dt.date(2021, 1, 1))
    with session_scope(engine) as s:
        c = create_campaign(s, "qianjiang-2022", "500114", actor=ACTOR)
        assess(s, c, AS_OF, actor=ACTOR)
        return c.id, people


def pay(
    engine: Engine,
    cid: int,
    number: str,
    amount: Decimal,
    ref: str,
    channel: str = "cash",
    paid_on: dt.date = AS_OF,
    officer: bool = True,
) -> tuple[str, str | None, int | None, bool]:
    """A counter payment; by an officer (who may backdate: these tests' season is 2021-22)."""
    with session_scope(engine) as s:
        r = record_payment(
            s,
            get_campaign(s, cid),
            id_number=number,
            amount=amount,
            channel=channel,
            external_ref=ref,
            paid_on=paid_on,
            actor=ACTOR,
            may_backdate=officer,
        )
        return r.payment.status, r.payment.hold_reason, r.receipt_no, r.replayed


def count(engine: Engine, model: type) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_exact_payment_is_accepted_with_receipt_enrollment_and_benefit_period(engine: Engine) -> None:
    cid, people = world(engine)
    status, reason, receipt, replayed = pay(engine, cid, people[0], due(people[0], cats=("低保对象",)), "A-1")
    assert (status, reason, replayed) == ("accepted", None, False) and receipt is not None
    q = quote(QJ, ResidentInput.parse({"id_number": people[0], "categories": ["低保对象"], "paid_on": AS_OF}))
    with session_scope(engine) as s:
        e = s.scalars(select(Enrollment)).one()
        bp = s.scalars(select(BenefitPeriod)).one()
        assert (e.source, e.benefit_year, e.insurance_type) == ("payment", 2022, "390")
        assert (bp.start_on, bp.end_on) == (q.benefit_start, q.benefit_end)


def test_late_payment_is_priced_at_its_own_date(engine: Engine) -> None:
    cid, people = world(engine)
    late = dt.date(2022, 4, 1)
    assert pay(engine, cid, people[1], due(people[1], late), "L-1", paid_on=late)[0] == "accepted"
    q = quote(QJ, ResidentInput.parse({"id_number": people[1], "paid_on": late}))
    with session_scope(engine) as s:
        bp = s.scalars(select(BenefitPeriod)).one()
    assert bp.start_on == q.benefit_start and q.waiting_days > 0


def test_wrong_amount_at_the_counter_is_refused_saying_the_amount_due(engine: Engine) -> None:
    cid, people = world(engine)
    right = due(people[1])
    tables = (Payment, Receipt, Enrollment, BenefitPeriod, PaymentStaging, AuditLog)
    before = {m: count(engine, m) for m in tables}
    with pytest.raises(AmountMismatch) as err:
        pay(engine, cid, people[1], right / 10, "A-2")  # 32 typed for 320
    assert err.value.code == "amount_mismatch"
    assert f"应缴{right:.2f}元" in err.value.zh and f"{right:.2f} yuan" in err.value.en
    assert people[1] not in str(err.value)  # the ID is masked
    assert {m: count(engine, m) for m in tables} == before  # nothing written, not even audit
    # the same reference with the right amount then goes through
    assert pay(engine, cid, people[1], right, "A-2")[0] == "accepted"


def test_same_reference_twice_is_one_payment_and_different_data_is_refused(engine: Engine) -> None:
    cid, people = world(engine)
    first = pay(engine, cid, people[1], due(people[1]), "A-3")
    again = pay(engine, cid, people[1], due(people[1]), "A-3")
    assert again[:3] == first[:3] and again[3] is True
    assert count(engine, Payment) == 1
    with pytest.raises(Conflict):
        pay(engine, cid, people[2], due(people[2]), "A-3")
    assert count(engine, Payment) == 1


def test_second_payment_for_a_resident_is_held_as_already_paid(engine: Engine) -> None:
    cid, people = world(engine)
    assert pay(engine, cid, people[1], due(people[1]), "A-4")[0] == "accepted"
    assert pay(engine, cid, people[1], due(people[1]), "P-9", channel="pos")[:2] == ("held", "already_paid")
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).where(Payment.status == "accepted")) == 1


def _write(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    text = "交易流水号,身份证号码,缴费金额,缴费日期\n" + "".join(",".join(r) + "\n" for r in rows)
    path.write_bytes(text.encode("utf-8-sig"))
    return path


def test_bulk_file_statuses(engine: Engine, tmp_path: Path) -> None:
    cid, people = world(engine)
    unknown = "500114199001010011"
    from urrbmi import ids

    unknown = ids.make("500114", dt.date(1991, 2, 3), 555)
    rows = [
        ("W1", people[1], str(due(people[1])), "2021-12-20"),
        ("W2", people[2], str(due(people[2]) + Decimal("0.01")), "20211220"),
        ("W3", unknown, "320", "2021/12/20"),
        ("W4", people[3], str(due(people[3])), "2021-12-20"),
        ("W5", people[3], str(due(people[3])), "2021-12-21"),  # paid twice in one file
        ("W1", people[1], str(due(people[1])), "2021-12-20"),  # the same line repeated
    ]
    lines = read_payment_file(_write(tmp_path / "wx.csv", rows))
    with session_scope(engine) as s:
        summary = apply_payments(s, get_campaign(s, cid), "wechat", lines, actor=ACTOR)
    assert summary.lines == 6 and summary.replayed == 1
    assert dict(summary.status) == {"accepted": 2, "held": 2, "unmatched": 1}
    assert dict(summary.held) == {"amount_mismatch": 1, "already_paid": 1}
    assert count(engine, Receipt) == 2 and count(engine, Enrollment) == 2
    assert count(engine, PaymentStaging) == 0
    with session_scope(engine) as s:  # re-importing the same file changes nothing
        again = apply_payments(s, get_campaign(s, cid), "wechat", lines, actor=ACTOR)
    assert again.replayed == 6 and not again.status and count(engine, Payment) == 5


def test_invalid_line_refuses_the_whole_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bad.csv",
        [("X1", "500114199001010011", "320", "2021-12-20"), ("X2", "123", "abc", "2021-13-01")],
    )
    with pytest.raises(InvalidInput) as err:
        read_payment_file(path)
    assert "第3行" in err.value.zh


def test_amounts_must_be_exact_fen() -> None:
    with pytest.raises(InvalidInput):
        read_lines(
            [
                {
                    "external_ref": "1",
                    "id_number": "11010519491231002X",
                    "amount": "320.005",
                    "paid_on": "2021-12-01",
                }
            ]
        )


def test_a_crash_mid_file_leaves_the_database_as_before(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import urrbmi.campaign.payment_files as pm

    cid, _ = world(engine, 1)
    setup = add_people(engine, "500114001", "500114", 30, start_year=1950)
    with session_scope(engine) as s:
        assess(s, get_campaign(s, cid), AS_OF, actor=ACTOR)
    before = {m: count(engine, m) for m in (Payment, Receipt, Enrollment, PaymentStaging, AuditLog)}
    lines = read_lines(
        [
            {"external_ref": f"B{i}", "id_number": n, "amount": str(due(n)), "paid_on": "2021-12-20"}
            for i, n in enumerate(setup)
        ]
    )
    monkeypatch.setattr(pm, "STAGING_BATCH", 10)
    calls: list[int] = []

    def crash(staged: int) -> None:
        calls.append(staged)
        if staged >= 20:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError), session_scope(engine) as s:
        apply_payments(s, get_campaign(s, cid), "bank", lines, actor=ACTOR, after_staging_batch=crash)
    assert calls == [10, 20]
    assert {m: count(engine, m) for m in before} == before
    with session_scope(engine) as s:  # and the same file then goes through whole
        ok = apply_payments(s, get_campaign(s, cid), "bank", lines, actor=ACTOR)
    assert ok.status["accepted"] == 30 and count(engine, Receipt) == 30


@pytest.mark.postgres
@pytest.mark.parametrize("same_ref", [False, True])
def test_two_agents_paying_for_one_resident_at_once_make_one_payment(
    pg_engine: Engine, same_ref: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import urrbmi.campaign.payment_counter as counter
    import urrbmi.campaign.payment_files as pipeline

    engine = pg_engine
    cid, people = world(engine, 2)
    attempts: list[str] = []
    real, fast = pipeline.apply_payments, counter._record_accepted

    def spy(*args: object, **kw: object) -> object:
        attempts.append(str(kw["actor"]))
        return real(*args, **kw)  # type: ignore[arg-type]

    def spy_fast(*args: Any) -> object:
        attempts.append(f"{args[-1]} (one statement per table)")
        return fast(*args)

    monkeypatch.setattr(pipeline, "apply_payments", spy)
    monkeypatch.setattr(counter, "_record_accepted", spy_fast)
    amount = due(people[1])
    first_in = threading.Event()
    results: dict[str, tuple[str, str | None, int | None, bool]] = {}
    errors: list[BaseException] = []

    def agent(name: str, ref: str, hold: float) -> None:
        try:
            with session_scope(engine) as s:
                if name == "second":
                    first_in.wait(5)
                r = record_payment(
                    s,
                    get_campaign(s, cid),
                    id_number=people[1],
                    amount=amount,
                    channel="cash",
                    external_ref=ref,
                    paid_on=AS_OF,
                    actor=name,
                    may_backdate=True,
                )
                results[name] = (r.payment.status, r.payment.hold_reason, r.receipt_no, r.replayed)
                if name == "first":
                    first_in.set()
                    time.sleep(hold)  # keep the transaction open while the second agent writes
        except BaseException as exc:
            errors.append(exc)

    t1 = threading.Thread(target=agent, args=("first", "C-1", 0.5))
    t2 = threading.Thread(target=agent, args=("second", "C-1" if same_ref else "C-2", 0))
    t1.start()
    t2.start()
    t1.join(20)
    t2.join(20)
    assert not errors
    with session_scope(engine) as s:
        accepted = s.scalar(select(func.count()).where(Payment.status == "accepted"))
        total = s.scalar(select(func.count()).select_from(Payment))
    assert accepted == 1 and count(engine, Enrollment) == 1 and count(engine, Receipt) == 1
    # the second agent really collided with the first: its first attempt (the one-line write) hit
    # the unique index, and the pipeline then saw the first agent's payment
    assert attempts == [
        "first (one statement per table)",
        "second (one statement per table)",
        "second",
    ]
    if same_ref:
        assert total == 1 and results["second"][3] is True and results["second"][0] == "accepted"
    else:
        assert total == 2 and results["second"][:2] == ("held", "already_paid")


@pytest.mark.postgres
def test_an_enrollment_won_between_the_read_and_the_write_takes_the_payment_back(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL writes a counter payment in one statement without a savepoint: when the
    resident was enrolled for the year after the payment's read (here: the read is made to miss
    an enrollment already there), the enrollment is skipped, the payment deleted again and the
    line held as ``already_paid`` by the pipeline, with no receipt and no audit row claiming it."""
    import types

    import urrbmi.campaign.payment_counter as counter
    from urrbmi.campaign import ledger
    from urrbmi.db.models import EnrollmentSource, Resident

    engine = pg_engine
    cid, people = world(engine, 2)
    with session_scope(engine) as s:
        r = s.scalars(select(Resident).where(Resident.id_number == people[1])).one()
        ledger.enroll(
            s,
            [ledger.NewEnrollment(cid, r.id, 2022, r.region_code, AS_OF)],
            source=EnrollmentSource.SUBSIDY,
            actor=ACTOR,
            audit_key=None,
        )
    real = counter._counter_read

    def stale(*args: Any) -> Any:
        row = real(*args)
        return types.SimpleNamespace(**(row._asdict() | {"enrolled": False}))

    monkeypatch.setattr(counter, "_counter_read", stale)
    status, reason, receipt, replayed = pay(engine, cid, people[1], due(people[1]), "T-1")
    assert (status, reason, receipt, replayed) == ("held", "already_paid", None, False)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 1
        assert s.scalar(select(func.count()).select_from(Enrollment)) == 1
        assert s.scalar(select(func.count()).select_from(Receipt)) == 0
        inserts = s.scalars(
            select(AuditLog.new).where(AuditLog.table_name == "payments", AuditLog.action == "insert")
        ).all()
        assert inserts == []


@pytest.mark.postgres
def test_many_agents_racing(pg_engine: Engine) -> None:
    engine = pg_engine
    cid, people = world(engine, 2)
    amount = due(people[1])
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def agent(i: int) -> None:
        try:
            barrier.wait(5)
            with session_scope(engine) as s:
                record_payment(
                    s,
                    get_campaign(s, cid),
                    id_number=people[1],
                    amount=amount,
                    channel="pos",
                    external_ref=f"M-{i % 3}",
                    paid_on=AS_OF,
                    actor=f"a{i}",
                    may_backdate=True,
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=agent, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).where(Payment.status == "accepted")) == 1
        assert s.scalar(select(func.count()).select_from(Payment)) == 3
    assert from_fen(to_fen(amount)) == amount


def test_cancelling_payments_records_pending_refunds(engine: Engine) -> None:
    from urrbmi.campaign.payments import cancel_payment
    from urrbmi.db.models import Refund

    cid, people = world(engine)
    pay(engine, cid, people[1], due(people[1]), "K-1")
    pay(engine, cid, people[1], due(people[1]), "K-2")  # held: already paid
    with session_scope(engine) as s:
        c = get_campaign(s, cid)
        cancel_payment(s, c, channel="cash", external_ref="K-2", reason="重复缴费", actor=ACTOR)
        cancel_payment(s, c, channel="cash", external_ref="K-1", reason="已参加职工医保", actor=ACTOR)
        with pytest.raises(Conflict):
            cancel_payment(s, c, channel="cash", external_ref="K-1", reason="again", actor=ACTOR)
    with session_scope(engine) as s:
        refunds = s.execute(select(Refund.kind, Refund.amount_fen, Refund.status).order_by(Refund.id)).all()
        assert refunds == [
            ("refund", to_fen(due(people[1])), "pending"),
            ("cancellation", to_fen(due(people[1])), "pending"),
        ]
        assert s.scalars(select(Enrollment.status)).all() == ["cancelled"]
        assert set(s.scalars(select(Payment.status))) == {"refunded"}
    # the resident may now pay again and be enrolled
    assert pay(engine, cid, people[1], due(people[1]), "K-3")[0] == "accepted"


def test_payment_file_errors_read_as_text_not_code(tmp_path: Path) -> None:
    """Issue 15: an officer reads the file's header as text (not a Python list) and the missing
    cell by its Chinese name (not the internal key)."""
    from urrbmi.errors import UrrbmiError

    bad = tmp_path / "pay.csv"
    bad.write_text("流水号,金额\nA1,320\n", encoding="utf-8")
    with pytest.raises(UrrbmiError) as e:
        read_payment_file(bad)
    assert "['" not in e.value.zh and "流水号、金额" in e.value.zh, e.value.zh
    blank = tmp_path / "blank.csv"
    blank.write_text(
        "流水号,身份证号码,金额,缴费日期\n,110101199003077777,320,2021-12-01\n", encoding="utf-8"
    )
    with pytest.raises(UrrbmiError) as e:
        read_payment_file(blank)
    assert "external_ref" not in e.value.zh and "缺少" in e.value.zh, e.value.zh
