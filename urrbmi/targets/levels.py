"""Funding by government level from the ledger (issue 18 item 6): the fiscal subsidy each level owes
(昌吉 二: 中央 488 / 自治区 73.2 / 县市 98.8 per person), the subsidy (资助参保) by funder, the
大病保险 premium per person (昌吉 五: 145 yuan) for those enrolled, and whether each level's share
was paid in by its deadline (昌吉 二: county share by 2022-12-31), from the funding payments
recorded here (``funding_payments``: level, amount, date, reference).

Persons and amounts are :func:`reports.funding_report`'s (so :func:`counting.resident_state`'s);
a level's deadline is the policy milestone ``<level>_funds_paid`` (昌吉: ``county_funds_paid``).
A share is judged against what is owed at the report date: paid in full by the deadline (按时足额到位),
in full but partly after it (逾期到位), not in full with the deadline ahead (未到期) or passed
(逾期未足额到位).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi.campaign.campaigns import campaign_policy
from urrbmi.clock import now
from urrbmi.db.models_progress import FUNDING_LEVELS, FundingPayment
from urrbmi.errors import InvalidInput
from urrbmi.money import ZERO, from_fen, round_fen, to_fen, yuan
from urrbmi.policy.schema import FiscalSubsidy
from urrbmi.registry.audit import record
from urrbmi.targets.reports import funding_report
from urrbmi.targets.store import campaign_or_fail

ShareStatus = Literal["paid", "paid_late", "not_due", "overdue", "no_deadline"]
LEVEL_ZH = {
    "central": "中央",
    "provincial": "省级",
    "regional": "自治区",
    "prefecture": "州（市）级",
    "county": "县级",
    "district": "区级",
}


class FundingPaymentError(InvalidInput):
    code = "funding_payment"
    http_status = 422


@dataclass(frozen=True)
class LevelShare:
    level: str
    label: str  # 中央财政 / 自治区财政 / 县市财政
    per_person: Decimal
    persons: int
    owed: Decimal
    paid: Decimal  # recorded payments dated by the report date
    paid_by_deadline: Decimal
    last_paid_on: dt.date | None
    deadline: dt.date | None
    deadline_source: str
    status: ShareStatus
    days_left: int | None

    @property
    def status_zh(self) -> str:
        short = self.owed - self.paid
        if self.status == "paid":
            return "按时足额到位"
        if self.status == "paid_late":
            return f"逾期到位（最后一笔{self.last_paid_on:%Y-%m-%d}）"
        if self.status == "not_due":
            return f"未到期（剩余{self.days_left}天），尚差{short:,.2f}元"
        if self.status == "overdue":
            return f"逾期未足额到位（已逾期{-(self.days_left or 0)}天），尚差{short:,.2f}元"
        return "足额到位" if short <= 0 else f"尚差{short:,.2f}元（通知未定时限）"


@dataclass(frozen=True)
class FunderTotal:
    funder: str
    persons: int
    amount: Decimal


@dataclass(frozen=True)
class LevelFunding:
    campaign_id: int
    on: dt.date
    enrolled: int
    shares: tuple[LevelShare, ...]
    funders: tuple[FunderTotal, ...]  # 资助参保 by funder (医疗救助资金…)
    critical_illness_per_person: Decimal | None
    critical_illness_amount: Decimal | None
    critical_illness_note: str
    note: str


def _split(c_policy: object) -> tuple[FiscalSubsidy | None, dict[str, tuple[str, Decimal]]]:
    m = c_policy.model  # type: ignore[attr-defined]
    fs = m.fiscal_subsidy
    if not isinstance(fs, FiscalSubsidy):
        return None, {}
    return fs, {s.level: (s.label, yuan(s.amount)) for s in fs.split}


def funding_by_level(session: Session, campaign_id: int, *, on: dt.date, scope: str = "") -> LevelFunding:
    """Each level's share owed and paid at ``on``, the subsidies by funder and the 大病保险
    premium, for residents enrolled at ``on`` (in ``scope``)."""
    c = campaign_or_fail(session, campaign_id)
    policy = campaign_policy(c)
    m = policy.model
    rep = funding_report(session, campaign_id, on=on, scope=scope)
    fs, split = _split(policy)
    milestones = {ms.code: ms for ms in m.milestones}
    fiscal = {ln.item: ln for ln in rep.lines if ln.section == "财政补助"}
    payments = list(
        session.scalars(
            select(FundingPayment)
            .where(FundingPayment.campaign_id == c.id, FundingPayment.paid_on <= on)
            .order_by(FundingPayment.paid_on, FundingPayment.id)
        )
    )
    shares: list[LevelShare] = []
    for level, (label, per) in split.items():
        ln = fiscal.get(label)
        persons = ln.persons if ln else 0
        owed = ln.amount if ln else ZERO
        mine = [p for p in payments if p.level == level]
        paid = from_fen(sum(p.amount_fen for p in mine))
        ms = milestones.get(f"{level}_funds_paid")
        deadline = ms.end if ms else None
        source = f"{ms.label}（{ms.cite}）" if ms else ""
        by_deadline = from_fen(sum(p.amount_fen for p in mine if deadline is None or p.paid_on <= deadline))
        days = (deadline - on).days if deadline else None
        status: ShareStatus
        if deadline is None:
            status = "no_deadline"
        elif by_deadline >= owed:
            status = "paid"
        elif paid >= owed:
            status = "paid_late"
        elif on <= deadline:
            status = "not_due"
        else:
            status = "overdue"
        last = mine[-1].paid_on if mine else None
        shares.append(
            LevelShare(
                level, label, per, persons, owed, paid, by_deadline, last, deadline, source, status, days
            )
        )
    funders: dict[str, tuple[int, Decimal]] = {}
    for ln in rep.lines:
        if ln.section == "资助参保":
            n, amt = funders.get(ln.funder, (0, ZERO))
            funders[ln.funder] = (n + ln.persons, amt + ln.amount)
    ci = m.benefits.critical_illness
    ci_per: Decimal | None = None
    ci_amount: Decimal | None = None
    ci_note = "通知未给出大病保险人均筹资标准"
    if ci is not None and ci.funding_per_capita is not None:
        ci_per = yuan(ci.funding_per_capita.amount)
        ci_amount = round_fen(ci_per * rep.enrolled)
        ci_note = (
            f"大病保险人均筹资{ci_per}元（{ci.funding_per_capita.cite}）× 已参保{rep.enrolled:,}人；"
            "从城乡居民医保基金中划转"
        )
    note = (
        f"人均财政补助{yuan(fs.amount)}元（{fs.cite}）："
        + "、".join(f"{lb}{p}元" for lb, p in split.values())
        if fs is not None and split
        else ("通知未给出财政补助的分级" if fs is not None else "通知未载明人均财政补助标准")
    )
    return LevelFunding(
        c.id,
        on,
        rep.enrolled,
        tuple(shares),
        tuple(FunderTotal(f, n, a) for f, (n, a) in sorted(funders.items())),
        ci_per,
        ci_amount,
        ci_note,
        note,
    )


def record_funding_payment(
    session: Session,
    campaign_id: int,
    *,
    level: str,
    amount: Decimal,
    paid_on: dt.date,
    reference: str,
    actor: str,
    note: str = "",
) -> FundingPayment:
    """Record a level of government's share paid in (拨付到位): the level must be one the
    policy's split names; the amount in yuan, exact to the fen, positive; the reference unique
    in the campaign (the same voucher twice is refused)."""
    c = campaign_or_fail(session, campaign_id)
    _, split = _split(campaign_policy(c))
    if level not in FUNDING_LEVELS or level not in split:
        names = "、".join(f"{lb}（{lv}）" for lv, (lb, _) in split.items()) or "无（通知未分级）"
        raise FundingPaymentError(
            f"本批次政策的财政补助分级中没有“{LEVEL_ZH.get(level, level)}”；可选：{names}",
            f"the policy's split has no level {level!r}",
        )
    if amount <= 0 or amount != round_fen(amount):
        raise FundingPaymentError("到位金额须为正数，精确到分", "the amount must be positive, to the fen")
    ref = reference.strip()
    if not ref or len(ref) > 100:
        raise FundingPaymentError(
            "须填写拨款凭证号（1至100个字符）", "a voucher reference (1-100 characters) is required"
        )
    dup = session.scalar(
        select(FundingPayment.id).where(FundingPayment.campaign_id == c.id, FundingPayment.reference == ref)
    )
    if dup is not None:
        raise FundingPaymentError(f"凭证号“{ref}”已登记", f"reference {ref} is already recorded")
    row = FundingPayment(
        campaign_id=c.id, level=level, amount_fen=to_fen(amount), paid_on=paid_on, reference=ref,
        note=note, recorded_by=actor, recorded_at=now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    record(
        session, actor, "funding_payments", row.id, "record", None,
        {"campaign": c.id, "level": level, "amount_fen": row.amount_fen, "paid_on": paid_on.isoformat(),
         "reference": ref},
    )  # fmt: skip
    return row
