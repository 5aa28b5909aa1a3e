"""The counter payment (a village agent's cash or POS): one short transaction.

:func:`record_payment` checks a payment first and refuses it, with nothing written, when its
amount is not the amount due or its date is after today or backdated too far
(:func:`check_counter_payment`); a channel's file keeps such lines in the held queue instead.

The common case — a known, assessed resident not yet enrolled for the year, paying the amount
due under a new reference — is one read (:func:`_counter_read`: the resident through the
caller's region scope, its pricing profile, assessment, whether a campaign enrolled it for the
year, the payment already under the reference), the price from the campaign's cached
:class:`~urrbmi.campaign.campaigns.Pricer`, and the writes (:func:`_record_accepted`): on
PostgreSQL the payment, its receipt, the enrollment and its benefit period (the ledger's SQL) and
the audit row in one statement without a savepoint (a lost race writes nothing); on SQLite
statement by statement in a savepoint, the enrollment through :mod:`urrbmi.campaign.ledger`. Every
other case (a replay, an unknown ID number, a resident already enrolled, a line the policy cannot
price) and a lost race take the channel-file pipeline for one line
(:func:`urrbmi.campaign.payment_files.apply_payments_raced`), so holds and replays have one
implementation. Re-exported by :mod:`urrbmi.campaign.payments`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urrbmi import clock, ids, money
from urrbmi.access.errors import out_of_scope
from urrbmi.access.settings import settings
from urrbmi.campaign import ledger
from urrbmi.campaign.campaigns import Pricer, campaign_policy, profile_columns
from urrbmi.campaign.payment_files import _price_line, _stage_rows, apply_payments_raced
from urrbmi.campaign.payment_lines import PaymentLine, check_channel, read_lines
from urrbmi.db.models import Assessment, Campaign, EnrollmentSource, Payment, PaymentStatus, Receipt, Resident
from urrbmi.money import from_fen
from urrbmi.registry import audit
from urrbmi.registry.errors import AmountMismatch, BackdateNotAllowed, PaidInFuture


@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    receipt_no: int | None
    replayed: bool


def record_payment(
    session: Session,
    c: Campaign,
    *,
    id_number: str,
    amount: Decimal,
    channel: str,
    external_ref: str,
    paid_on: dt.date,
    actor: str,
    may_backdate: bool = False,
    scope: str | None = None,
) -> PaymentResult:
    """One counter payment (village agent, cash or POS). Safe to repeat and to race.

    ``scope``: the region-code prefix the caller may act in (the API's principal); a resident
    outside it, or an ID number the registry does not know, is refused with
    :func:`urrbmi.access.errors.out_of_scope` (the one 403 for both) by the same read that
    prices the payment. None (the CLI, the web's household payment after its own scoped read):
    every resident, and an unknown ID number is recorded as ``unmatched``.

    Guards (before anything is written; a repeat of a recorded reference skips them): ``paid_on``
    is not after today (China time) nor more than ``URRBMI_BACKDATE_DAYS`` days before it unless
    ``may_backdate`` (an officer: permission ``payment.backdate``; audited); an amount that is not
    the amount due is refused with the amount due (:func:`check_counter_payment`). A channel's
    file (:func:`apply_payments`) keeps such payments in the held queue instead: its money has
    already been taken.

    The common case — a known, assessed resident not yet enrolled for the year, paying the
    amount due under a new reference — is one read (:func:`_counter_read`: the resident's
    profile, assessment, enrollment and the reference), a price from the campaign's cached
    :class:`Pricer`, and the payment, its receipt, the enrollment and the benefit period
    (:mod:`urrbmi.campaign.ledger`) and one audit row (:func:`_record_accepted`: one statement on
    PostgreSQL): no staging. Everything else (a
    replay, an unknown ID number, a resident already enrolled, a line the policy cannot price)
    and a lost race (a unique violation: a concurrent recording of the same reference or for
    the same resident) take the channel-file pipeline for one line
    (:func:`apply_payments_raced`), which answers with the replay or holds the payment as
    ``already_paid``, exactly as a file would."""
    amount = money.yuan(amount)  # a float is refused: not exact
    line = read_lines(
        [
            {
                "external_ref": external_ref,
                "id_number": id_number,
                "amount": str(amount),
                "paid_on": str(paid_on),
            }
        ],
        first_line=1,
    )[0]
    check_channel(channel)
    row = _counter_read(session, c, line, channel, scope or "")
    if row is None and scope is not None:
        raise out_of_scope()
    if row is not None and row.known is None:
        late = _check_day(line, may_backdate)
        rec = _price_line(_pricer(c), row, line, "counter")
        _refuse_wrong_amount(line, rec)
        checked: CounterCheck | None = CounterCheck(rec, late)
        if rec["hold_reason"] is None and not row.enrolled:
            done = _record_accepted(session, c, channel, line, rec, row.region_code, actor)
            if done is not None:  # None: lost a race, nothing written; the pipeline sees the winner
                _audit_backdate(session, actor, done.payment, late)
                return done
    elif row is None:  # an ID number the registry does not know: priced (unmatched) below
        checked = check_counter_payment(session, c, line, may_backdate)
    else:
        checked = None  # a repeat: answered as recorded, whatever the day has become
    summary = apply_payments_raced(
        session, c, channel, [line], actor=actor, priced=None if checked is None else [checked.priced]
    )
    p = session.scalars(
        select(Payment).where(Payment.channel == channel, Payment.external_ref == line.external_ref)
    ).one()
    if checked is not None and summary.replayed == 0:
        _audit_backdate(session, actor, p, checked.backdated_days)
    receipt = session.scalar(select(Receipt.receipt_no).where(Receipt.payment_id == p.id))
    return PaymentResult(p, receipt, replayed=summary.replayed > 0)


_PRICERS: dict[tuple[str, str], Pricer] = {}


def _pricer(c: Campaign) -> Pricer:
    """The campaign's pricer, kept per policy version (its quote cache serves every counter
    payment of the process); the policy is checked unchanged on every call."""
    policy = campaign_policy(c)
    key = (c.policy_id, policy.version)
    found = _PRICERS.get(key)
    if found is None or found.policy is not policy:
        found = _PRICERS[key] = Pricer(policy)
    return found


@cache
def _counter_statement(benefit_year: int, campaign_id: int) -> Select[Any]:
    """The one read of a counter payment, built once per campaign (compiled once)."""
    known = (
        select(Payment.id)
        .where(Payment.channel == bindparam("channel"), Payment.external_ref == bindparam("ref"))
        .scalar_subquery()
    )
    return (
        select(
            *profile_columns(benefit_year, campaign_id),
            Resident.id_number,
            Resident.region_code,
            Assessment.status.label("a_status"),
            Assessment.categories.label("a_categories"),
            Assessment.tier.label("a_tier"),
            ledger.enrolled_for_year(Resident.id, benefit_year).label("enrolled"),
            known.label("known"),
        )
        .outerjoin(
            Assessment, (Assessment.resident_id == Resident.id) & (Assessment.campaign_id == campaign_id)
        )
        .where(
            Resident.id_number == bindparam("id_number"),
            Resident.region_code.startswith(bindparam("scope")),  # a code prefix: digits only
        )
    )


def _counter_read(session: Session, c: Campaign, line: PaymentLine, channel: str, scope: str) -> Any:
    """The resident (under the region prefix ``scope``; "" for all) with its profile,
    assessment, whether a campaign enrolled it for the year, and the payment already recorded
    under the reference (None: no such resident in the scope)."""
    return session.execute(
        _counter_statement(c.benefit_year, c.id),
        {"channel": channel, "ref": line.external_ref, "id_number": line.id_number, "scope": scope},
    ).first()


def _record_accepted(
    session: Session,
    c: Campaign,
    channel: str,
    line: PaymentLine,
    rec: dict[str, Any],
    region_code: str,
    actor: str,
) -> PaymentResult | None:
    """Write an accepted counter payment: the payment, its receipt, the enrollment with its
    benefit period, one audit row; None when a concurrent transaction won a race (the same
    reference, the resident paid or enrolled for the year meanwhile), with nothing written.

    PostgreSQL: one statement, no savepoint: the payment and the enrollment are inserted
    ``ON CONFLICT DO NOTHING`` (the partial unique indexes decide, waiting for the other
    transaction as before), the receipt and the audit row only when both were; a payment whose
    enrollment lost is deleted again (one more statement, only then). SQLite: Core statements in a
    savepoint, a unique violation rolls it back (one writer at a time: not expected). The
    :class:`Payment` returned is a plain object with the row's values, not in the session."""
    values = {
        "campaign_id": c.id,
        "resident_id": rec["resident_id"],
        "id_number": line.id_number,
        "channel": channel,
        "external_ref": line.external_ref,
        "amount_fen": line.amount_fen,
        "due_fen": rec["due_fen"],
        "paid_on": line.paid_on,
        "status": PaymentStatus.ACCEPTED.value,
        "hold_reason": None,
        "recorded_by": actor,
        "recorded_at": audit.now(),
        "batch_id": uuid.uuid4().hex,  # a one-line batch, as the file pipeline gives it
    }
    if session.get_bind().dialect.name == "postgresql":  # everything in one statement
        conn = session.connection()
        written = conn.execute(
            _ACCEPTED_PG,
            values
            | {
                "benefit_year": c.benefit_year,
                "region_code": region_code,
                "start_on": rec["benefit_start"],
                "end_on": rec["benefit_end"],
            },
        ).first()
        if written is None:  # the payment's unique indexes: a concurrent recording won
            return None
        payment_id, receipt = written
        if receipt is None:  # the payment written, its enrollment not (enrolled meanwhile)
            conn.execute(_TAKE_BACK, {"id": payment_id})
            return None
        return PaymentResult(Payment(id=payment_id, **values), receipt, replayed=False)
    try:
        with session.begin_nested():
            return _record_accepted_core(session, c, channel, line, rec, region_code, actor, values)
    except IntegrityError:
        return None


def _record_accepted_core(
    session: Session,
    c: Campaign,
    channel: str,
    line: PaymentLine,
    rec: dict[str, Any],
    region_code: str,
    actor: str,
    values: dict[str, Any],
) -> PaymentResult:
    """:func:`_record_accepted` statement by statement (SQLite)."""
    conn = session.connection()
    payment_id = conn.execute(_PAYMENT, values).scalar_one()
    receipt = conn.execute(_RECEIPT, {"payment_id": payment_id}).scalar_one()
    p = Payment(id=payment_id, **values)
    ledger.enroll(
        session,
        [
            ledger.NewEnrollment(
                c.id,
                rec["resident_id"],
                c.benefit_year,
                region_code,
                line.paid_on,
                rec["benefit_start"],
                rec["benefit_end"],
                payment_id,
            )
        ],
        source=EnrollmentSource.PAYMENT,
        actor=actor,
        audit_key=None,  # the payment's audit row
    )
    audit.record(
        session,
        actor,
        "payments",
        payment_id,
        "insert",
        None,
        {"channel": channel, "amount_fen": line.amount_fen, "status": p.status, "receipt_no": receipt},
    )
    return PaymentResult(p, receipt, replayed=False)


_COLUMNS = (
    "campaign_id, resident_id, id_number, channel, external_ref, amount_fen, due_fen, paid_on, status, "
    "hold_reason, recorded_by, recorded_at, batch_id"
)
_NAMES = [name.strip() for name in _COLUMNS.split(",")]
_VALUES = ", ".join(f":{name}" for name in _NAMES)
_PAYMENT = insert(Payment).values({k: bindparam(k) for k in _NAMES}).returning(Payment.id)
_RECEIPT = insert(Receipt).values(payment_id=bindparam("payment_id")).returning(Receipt.receipt_no)
# PostgreSQL: the payment, the enrollment and its benefit period (the ledger's SQL), the receipt
# and the audit row (as registry.audit writes it: nothing to mask in it) in one round trip; the
# receipt and the audit row only when the enrollment was written
_ACCEPTED_PG = text(
    f"WITH p AS (INSERT INTO payments ({_COLUMNS}) VALUES ({_VALUES}) ON CONFLICT DO NOTHING "
    "RETURNING id, campaign_id, resident_id, paid_on), "
    f"{ledger.paid_enrollment_sql('p')}, "
    "r AS (INSERT INTO receipts (payment_id) SELECT payment_id FROM e RETURNING payment_id, receipt_no), "
    "a AS (INSERT INTO audit_log (at, actor, table_name, row_key, action, old, new) "
    "SELECT CAST(:recorded_at AS TIMESTAMPTZ), CAST(:recorded_by AS VARCHAR), 'payments', "
    "CAST(r.payment_id AS VARCHAR), 'insert', NULL, json_build_object('channel', CAST(:channel AS TEXT), "
    "'amount_fen', CAST(:amount_fen AS BIGINT), 'status', CAST(:status AS TEXT), 'receipt_no', r.receipt_no) "
    "FROM r) "
    "SELECT p.id, r.receipt_no FROM p LEFT JOIN r ON r.payment_id = p.id"
)
_TAKE_BACK = text("DELETE FROM payments WHERE id = :id")


def _audit_backdate(session: Session, actor: str, p: Payment, late_days: int) -> None:
    if late_days:
        audit.record(
            session, actor, "payments", p.id, "backdate", None, {"paid_on": str(p.paid_on), "days": late_days}
        )


class CounterCheck(NamedTuple):
    priced: dict[str, Any]  # the line's staging row (amount due, benefit period, hold reason)
    backdated_days: int  # days beyond the backdating window (an officer's; 0: within it)


def check_counter_payment(
    session: Session, c: Campaign, line: PaymentLine, may_backdate: bool
) -> CounterCheck:
    """Refuse a counter payment dated after today, backdated beyond the window without
    ``may_backdate``, or whose amount is not the amount due (reads only). Returns the line priced
    as the ledger stages it, and how many days beyond the window an officer backdated it."""
    late = _check_day(line, may_backdate)
    rec = next(iter(_stage_rows(session, c, [line], "check")))
    _refuse_wrong_amount(line, rec)
    return CounterCheck(rec, late)


def _check_day(line: PaymentLine, may_backdate: bool) -> int:
    """Refuse a date after today or backdated beyond the window without ``may_backdate``;
    returns the days beyond the window (an officer's backdating; 0: within it)."""
    today = clock.today()
    if line.paid_on > today:
        raise PaidInFuture(
            f"缴费日期{line.paid_on}晚于今天（{today}），未入账",
            f"the payment date {line.paid_on} is after today ({today}); nothing was recorded",
        )
    window = settings().backdate_days
    late = (today - line.paid_on).days - window
    if late > 0 and not may_backdate:
        raise BackdateNotAllowed(
            f"缴费日期{line.paid_on}早于{window}天的补录期限（最早{today - dt.timedelta(days=window)}），"
            "未入账；请由经办人员补录",
            f"the payment date {line.paid_on} is more than {window} days before today "
            f"(earliest {today - dt.timedelta(days=window)}); nothing was recorded: an officer "
            "must backdate it",
        )
    return max(late, 0)


def _refuse_wrong_amount(line: PaymentLine, rec: dict[str, Any]) -> None:
    if rec["hold_reason"] == "amount_mismatch":
        due, given = from_fen(rec["due_fen"]), from_fen(line.amount_fen)
        who = ids.mask(line.id_number)
        raise AmountMismatch(
            f"金额与应缴不符：居民{who}按缴费日期{line.paid_on}应缴{due}元，录入的是{given}元；"
            f"未入账，请核对后按应缴金额{due}元录入",
            f"the amount {given} yuan is not the amount due: {due} yuan for {who} paying on "
            f"{line.paid_on}; nothing was recorded",
        )
