"""A village agent's round (入户动员, 督导排查; issue 15 item 1): the worklist of residents not yet
paid grouped by household, a household with every member's amount due, payment for several members
at once, the outcome of a visit, and the residents to remind.

Every function takes the :class:`~urrbmi.access.scope.Principal`: it checks the role's permission
and reads residents only through the region condition of :mod:`urrbmi.access.scope` (a resident
outside the region and one that does not exist give the same 403). Writes are audited.

A resident's state is **not** defined here: it is :func:`urrbmi.targets.counting.resident_state`
(the one definition every count and list reads), labelled by :func:`state_of`. Amounts due in the
household view are the statement's (:func:`urrbmi.campaign.lookup.fast_statement`); payments go one
by one through the counter payment :func:`urrbmi.campaign.payments.record_payment`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import Session

from urrbmi import clock, ids
from urrbmi.access.errors import out_of_scope
from urrbmi.access.scope import Principal, check_region, resident_clause, scoped_campaign, scoped_resident
from urrbmi.access.scope import visible_campaigns as _visible
from urrbmi.campaign.lookup import fast_statement
from urrbmi.campaign.payments import HOLD_ZH, record_payment
from urrbmi.db.models import Campaign, Region, Resident
from urrbmi.db.models_fieldwork import OUTCOMES, CredentialActivation, ResidentContact, VisitOutcome
from urrbmi.db.models_targets import TargetReduction, TargetSet, TargetUnit
from urrbmi.errors import InvalidInput, UrrbmiError
from urrbmi.imports import phones
from urrbmi.money import from_fen
from urrbmi.policy.identities import all_identities
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict, NotFound
from urrbmi.registry.regions import get_region
from urrbmi.registry.regions import prefix as region_prefix
from urrbmi.targets.counting import effective_prefix, in_prefix, resident_state
from urrbmi.targets.reductions import TaskReduction
from urrbmi.targets.store import add_reductions
from urrbmi.targets.tables import EvidenceKind

# labels of resident_state's flags (the state itself is defined there)
STATES = ("todo", "enrolled", "employee", "elsewhere", "gone")
STATE_ZH = {
    "todo": "未参保",
    "enrolled": "已参保",
    "employee": "职工医保",
    "elsewhere": "外地参保",
    "gone": "已故或迁出",
}
OUTCOME_ZH = {
    "paid_elsewhere": "已在外地参保缴费",
    "employee": "已参加职工医保",
    "died": "已去世",
    "army": "参军入伍",
    "refused": "拒绝参保",
    "unreachable": "联系不上",
    "promised": "承诺缴费",
}
# outcomes proving insurance elsewhere: the evidence kind of a task reduction (濉溪 annex note 3)
REDUCIBLE = {
    "paid_elsewhere": EvidenceKind.OTHER_PLACE_RESIDENT,
    "employee": EvidenceKind.OTHER_PLACE_EMPLOYEE,
}
REMIND = (None, "promised", "unreachable")  # latest outcome of a resident still to remind
MAX_MEMBERS = 20


def state_of(row: Any) -> str:
    """The label of :func:`resident_state`'s flags for one resident."""
    if not row["alive"]:
        return "gone"
    if row["enrolled"]:
        return "enrolled"
    if row["employee"]:
        return "employee"
    if row["elsewhere"]:
        return "elsewhere"
    return "todo"


def current_campaign(session: Session, p: Principal, campaign_id: int | None = None) -> Campaign:
    """The campaign the agent works in: ``campaign_id`` (in scope), else the newest visible one."""
    if campaign_id is not None:
        return scoped_campaign(session, p, campaign_id)
    found = sorted(_visible(session, p), key=lambda c: (c.benefit_year, c.id))
    if not found:
        raise NotFound("管辖范围内没有征缴批次", "no campaign covers your region")
    return found[-1]


def _scope(session: Session, p: Principal, c: Campaign, region: str | None) -> str | None:
    """The region prefix to read: ``region`` (inside the user's) or the user's, within the campaign."""
    scope = p.region_prefix
    if region:
        check_region(p, region)
        scope = region_prefix(get_region(session, region))
    return effective_prefix(session, c, scope)


@dataclass(frozen=True)
class Member:
    resident_id: int
    name: str
    id_number: str  # masked, or full for a role that may see it
    sex: str
    birth_date: dt.date
    village_code: str
    village: str
    household: str  # the household number, or "" for a resident without one
    state: str
    state_zh: str
    identities: tuple[str, ...]  # Chinese names (the assessment's categories)
    individual_due: Decimal | None  # the assessment's individual share (worklist)
    last_status: str
    outcome: str | None = None
    outcome_zh: str | None = None
    visited_on: dt.date | None = None
    promised_on: dt.date | None = None
    reason: str | None = None
    phone: str | None = None
    activated_on: dt.date | None = None
    # household view only: the statement's amount due, and whether (and by which receipt) paid
    amount_due: Decimal | None = None
    paid: bool = False
    receipt_no: int | None = None


@dataclass(frozen=True)
class HouseholdGroup:
    household: str
    village: str
    members: tuple[Member, ...]

    @property
    def due_total(self) -> Decimal:
        return sum((m.individual_due or Decimal(0) for m in self.members if m.state == "todo"), Decimal(0))


@dataclass(frozen=True)
class Worklist:
    campaign_id: int
    benefit_year: int
    on: dt.date
    total_households: int
    total_residents: int
    offset: int
    limit: int
    households: tuple[HouseholdGroup, ...]


def _state_where(st: Any, state: str) -> list[Any]:
    """SQL conditions on :func:`resident_state`'s flags for the label ``state`` (the inverse of
    :func:`state_of`; the flags themselves are defined there)."""
    flags = ("alive", "enrolled", "employee", "elsewhere")
    alive, enrolled, employee, elsewhere = (st.c[k] == 1 for k in flags)
    if state == "gone":
        return [st.c.alive == 0]
    if state == "living":  # any state but gone
        return [alive]
    if state == "enrolled":
        return [alive, enrolled]
    if state == "employee":
        return [alive, st.c.enrolled == 0, employee]
    if state == "elsewhere":
        return [alive, st.c.enrolled == 0, st.c.employee == 0, elsewhere]
    return [alive, st.c.enrolled == 0, st.c.employee == 0, st.c.elsewhere == 0]  # todo


@dataclass(frozen=True)
class _Filter:
    """What a list keeps, applied in SQL: a state label (``all``: any), identity codes (any of
    them), latest visit outcomes (``None`` in it: not visited), residents' own conditions."""

    state: str = "all"
    codes: tuple[str, ...] | None = None
    outcomes: tuple[str | None, ...] | None = None
    where: tuple[Any, ...] = ()
    activated: bool | None = None  # False: not activated by the day


def _sources(session: Session, c: Campaign, prefix: str, on: dt.date) -> tuple[Any, Any]:
    """The per-resident state (:func:`resident_state`) and the latest visit outcome per resident,
    both for ``prefix``."""
    st = resident_state(
        session,
        c,
        prefix,
        on,
        columns=[
            "rid",
            "categories",
            "individual_fen",
            "last_status",
            "alive",
            "enrolled",
            "employee",
            "elsewhere",
        ],
    )
    latest = (
        select(VisitOutcome.resident_id, func.max(VisitOutcome.id).label("vid"))
        .where(VisitOutcome.campaign_id == c.id, in_prefix(VisitOutcome.region_code, prefix))
        .group_by(VisitOutcome.resident_id)
        .subquery()
    )
    return st, latest


def _conditions(st: Any, f: _Filter, on: dt.date) -> list[Any]:
    out: list[Any] = [*f.where]
    if f.state != "all":
        out += _state_where(st, f.state)
    if f.codes is not None:
        padded = literal(",") + func.coalesce(st.c.categories, "") + literal(",")
        out.append(or_(*(padded.like(f"%,{code},%") for code in f.codes)) if f.codes else literal(False))
    if f.outcomes is not None:
        named = [o for o in f.outcomes if o is not None]
        either = [VisitOutcome.outcome.in_(named)] if named else []
        if None in f.outcomes:
            either.append(VisitOutcome.id.is_(None))
        out.append(or_(*either))
    if f.activated is False:
        out.append(or_(CredentialActivation.activated_on.is_(None), CredentialActivation.activated_on > on))
    return out


def _matching(
    session: Session, p: Principal, c: Campaign, prefix: str, on: dt.date, f: _Filter
) -> tuple[Any, Any]:
    """SELECT … FROM residents of ``prefix`` in the caller's scope joined to their state, latest
    visit and activation, WHERE the filter holds (columns added by the caller)."""
    st, latest = _sources(session, c, prefix, on)
    return (
        select()
        .select_from(Resident)
        .join(st, st.c.rid == Resident.id)
        .outerjoin(latest, latest.c.resident_id == Resident.id)
        .outerjoin(VisitOutcome, VisitOutcome.id == latest.c.vid)
        .outerjoin(CredentialActivation, CredentialActivation.resident_id == Resident.id)
        .where(resident_clause(p), *_conditions(st, f, on))
    ), st


def _members(
    session: Session,
    p: Principal,
    c: Campaign,
    prefix: str,
    on: dt.date,
    *,
    where: Sequence[Any] = (),
    keep: _Filter | None = None,
) -> list[Member]:
    """Residents under ``prefix`` (and ``where``, and ``keep``, in SQL) with their state at ``on``,
    latest visit outcome, phone and activation; in the caller's scope only."""
    return _to_members(p, on, session.execute(_member_query(session, p, c, prefix, on, where, keep)))


def _member_query(
    session: Session,
    p: Principal,
    c: Campaign,
    prefix: str,
    on: dt.date,
    where: Sequence[Any] = (),
    keep: _Filter | None = None,
) -> Any:
    f = keep or _Filter()
    base, st = _matching(session, p, c, prefix, on, replace(f, where=(*f.where, *where)))
    # plain columns, no ORM objects: a town's few thousand rows cost ~0.3 ms each as instances
    q = (
        base.add_columns(
            Resident.id,
            Resident.id_number,
            Resident.name.label("resident_name"),
            Resident.sex,
            Resident.birth_date,
            Resident.region_code,
            Resident.household_id,
            Region.name,
            st.c.categories,
            st.c.individual_fen,
            st.c.last_status,
            st.c.alive,
            st.c.enrolled,
            st.c.employee,
            st.c.elsewhere,
            ResidentContact.phone,
            CredentialActivation.activated_on,
            VisitOutcome.outcome,
            VisitOutcome.visited_on,
            VisitOutcome.promised_on,
            VisitOutcome.reason,
        )
        .join(Region, Region.code == Resident.region_code)
        .outerjoin(ResidentContact, ResidentContact.resident_id == Resident.id)
    )
    return q


def _to_members(p: Principal, on: dt.date, rows: Any) -> list[Member]:
    labels = all_identities()
    named: dict[str, tuple[str, ...]] = {}
    full_phones = p.can("contact.read")  # masked for other roles (personal data)
    out: list[Member] = []
    for row in rows.mappings():
        rid = row["id"]
        state = state_of(row)
        fen = row["individual_fen"]
        text = row["categories"] or ""
        cats = named.get(text)
        if cats is None:  # a few distinct combinations among thousands of residents
            cats = named[text] = tuple(labels.label(x) for x in text.split(",") if x)
        activated = row["activated_on"]
        outcome = row["outcome"]
        out.append(
            Member(
                resident_id=rid,
                name=row["resident_name"],
                id_number=ids.mask(row["id_number"]),  # lists are always masked
                sex=row["sex"],
                birth_date=row["birth_date"],
                village_code=row["region_code"],
                village=row["name"],
                household=row["household_id"] or "",
                state=state,
                state_zh=STATE_ZH[state],
                identities=cats,
                individual_due=None if fen is None else from_fen(fen),
                last_status=row["last_status"],
                outcome=outcome,
                outcome_zh=OUTCOME_ZH[outcome] if outcome else None,
                visited_on=row["visited_on"],
                promised_on=row["promised_on"],
                reason=row["reason"],
                phone=phones.shown(row["phone"], full_phones) or None,
                activated_on=activated if activated is None or activated <= on else None,
            )
        )
    return out


class _Rows:
    """Rows already fetched, read like a result (``mappings()``)."""

    def __init__(self, rows: Sequence[Any]) -> None:
        self.rows = rows

    def mappings(self) -> list[Any]:
        return [r._mapping for r in self.rows]


def _common_prefix(codes: Sequence[str]) -> str:
    common = codes[0]
    for code in codes[1:]:
        while not code.startswith(common):
            common = common[:-1]
    return common


def _search(q: str | None) -> list[Any]:
    if not q or not q.strip():
        return []
    text = q.strip()
    if re.fullmatch(r"[0-9xX]{2,18}", text):
        return [Resident.id_number.contains(text.upper(), autoescape=True)]
    return [Resident.name.contains(text, autoescape=True)]


def _household_key(m: Member) -> tuple[str, str, int | None]:
    return (m.village_code, m.household, None if m.household else m.resident_id)


def _group(
    members: Sequence[Member], order: Sequence[tuple[str, str, int | None]] | None = None
) -> list[HouseholdGroup]:
    """Members by household (a resident without one alone), members by age; households in
    ``order`` (the database's), else by village, then households, then residents without one."""
    by: dict[tuple[str, str, int | None], list[Member]] = {}
    for m in members:
        by.setdefault(_household_key(m), []).append(m)
    keys = (
        [k for k in order if k in by]
        if order is not None
        else sorted(by, key=lambda k: (k[0], k[2] is not None, k[1], k[2] or 0))
    )
    groups = []
    for key in keys:
        ms = by[key]
        ms.sort(key=lambda m: (m.birth_date, m.resident_id))
        groups.append(HouseholdGroup(key[1], ms[0].village, tuple(ms)))
    return groups


def worklist(
    session: Session,
    p: Principal,
    c: Campaign,
    *,
    on: dt.date | None = None,
    region: str | None = None,
    q: str | None = None,
    identity: str | None = None,
    state: str = "todo",
    outcome: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> Worklist:
    """Residents of the user's region (or ``region`` inside it) in ``state`` (default: not yet
    enrolled; ``all`` for everyone), whose name contains ``q`` or whose ID number contains it (digits),
    holding ``identity`` (a name, alias or code), whose latest visit outcome is ``outcome``
    (``none``: not visited), grouped by household and paged by household."""
    p.require("resident.read")
    on = on or clock.today()
    if state != "all" and state not in STATES:
        raise InvalidInput(f"状态须为{'、'.join(STATE_ZH.values())}之一", f"state must be one of {STATES}")
    if outcome is not None and outcome != "none" and outcome not in OUTCOMES:
        raise InvalidInput("走访结果无法识别", f"outcome must be none or one of {OUTCOMES}")
    if not 1 <= limit <= 200 or offset < 0:
        raise InvalidInput("每页户数须在1到200之间", "limit must be 1..200, offset >= 0")
    prefix = _scope(session, p, c, region)
    codes: tuple[str, ...] | None = None
    if identity:
        voc = all_identities()
        name = voc.resolve(identity).name
        codes = tuple(code for code in voc.by_code if voc.label(code) == name)
    keep = _Filter(
        state=state,
        codes=codes,
        outcomes=None if outcome is None else ((None,) if outcome == "none" else (outcome,)),
        where=tuple(_search(q)),
    )
    if prefix is None:
        return Worklist(c.id, c.benefit_year, on, 0, 0, offset, limit, ())
    # households matching the filter, counted and paged in the database in one query (issue 15:
    # a county's list filtered in Python took 1.5-2.8 s at 22 k residents): the members ranked
    # by household, the totals over all of them, the page's households kept
    mq = _member_query(session, p, c, prefix, on, keep=keep)
    alone = case((Resident.household_id.is_(None), Resident.id))
    by_household = (Resident.region_code, Resident.household_id.is_(None), Resident.household_id, alone)
    ranked = mq.add_columns(
        alone.label("alone"), func.dense_rank().over(order_by=by_household).label("hh_rank")
    ).subquery("ranked")
    totals = select(
        ranked,
        func.max(ranked.c.hh_rank).over().label("hh_total"),
        func.count().over().label("resident_total"),
    ).subquery("totals")
    rows = session.execute(
        select(totals)
        .where(totals.c.hh_rank > offset, totals.c.hh_rank <= offset + limit)
        .order_by(totals.c.hh_rank)
    ).all()
    if rows:
        total_households, total_residents = rows[0].hh_total, rows[0].resident_total
    elif offset:  # past the last page: count only
        counted = mq.add_columns(alone.label("alone")).subquery()
        keys = select(counted.c.region_code, counted.c.household_id, counted.c.alone).distinct().subquery()
        total_households, total_residents = session.execute(
            select(
                select(func.count()).select_from(keys).scalar_subquery(),
                select(func.count()).select_from(counted).scalar_subquery(),
            )
        ).one()
    else:
        total_households = total_residents = 0
    order = list(dict.fromkeys((r.region_code, r.household_id or "", r.alone) for r in rows))
    households = _group(_to_members(p, on, _Rows(rows)), order)
    return Worklist(
        c.id,
        c.benefit_year,
        on,
        int(total_households),
        int(total_residents),
        offset,
        limit,
        tuple(households),
    )


def household(
    session: Session, p: Principal, c: Campaign, resident_id: int, *, on: dt.date | None = None
) -> HouseholdGroup:
    """Every member (in the user's region) of the household of ``resident_id``, with the state,
    the statement's amount due for the campaign and whether paid."""
    p.require("resident.read")
    on = on or clock.today()
    r = scoped_resident(session, p, resident_id=resident_id)
    same = Resident.household_id == r.household_id if r.household_id else Resident.id == r.id
    codes = session.scalars(select(Resident.region_code).where(same, resident_clause(p))).all()
    prefix = effective_prefix(session, c, _common_prefix(codes))
    if prefix is None:
        raise out_of_scope()
    out: list[Member] = []
    for m in _members(session, p, c, prefix, on, where=[same]):
        st = fast_statement(session, [Resident.id == m.resident_id, resident_clause(p)], on)
        line = next((x for x in (st or {}).get("campaigns", []) if x["campaign"] == c.id), None)
        receipt = None
        if line is not None:
            receipt = next((x["receipt_no"] for x in line["payments"] if x["status"] == "accepted"), None)
        out.append(
            replace(
                m,
                amount_due=None if line is None else line["amount_due"],
                paid=receipt is not None,
                receipt_no=receipt,
            )
        )
    (group,) = _group(out) or (HouseholdGroup(r.household_id or "", "", ()),)
    return group


@dataclass(frozen=True)
class PaidMember:
    resident_id: int
    name: str
    amount: Decimal
    receipt_no: int | None
    external_ref: str
    replayed: bool


@dataclass
class HouseholdPayment:
    request_ref: str
    paid_on: dt.date
    total: Decimal
    members: list[PaidMember] = field(default_factory=list)


def pay_members(
    session: Session,
    p: Principal,
    c: Campaign,
    *,
    members: Sequence[tuple[int, Decimal]],
    channel: str,
    request_ref: str,
    paid_on: dt.date | None = None,
    actor: str,
) -> HouseholdPayment:
    """Payment for several members at once: each through the counter payment
    (:func:`~urrbmi.campaign.payments.record_payment`, reference ``<request_ref>-<resident>``, so a
    repeated request replays), all in one savepoint: one refused or held member and nothing is
    recorded (the error names the member)."""
    p.require("payment.record")
    if not members or len(members) > MAX_MEMBERS:
        raise InvalidInput(f"一次须为1到{MAX_MEMBERS}人缴费", f"pay for 1 to {MAX_MEMBERS} members at once")
    if len({rid for rid, _ in members}) != len(members):
        raise InvalidInput("同一人在一次缴费中出现两次", "a member is listed twice")
    if not re.fullmatch(r"[0-9A-Za-z_-]{4,40}", request_ref):
        raise InvalidInput("缴费请求编号无效", "request_ref must be 4-40 letters, digits, - or _")
    day = paid_on or clock.today()
    out = HouseholdPayment(request_ref, day, Decimal(0))
    with session.begin_nested():
        for rid, amount in members:
            r = scoped_resident(session, p, resident_id=rid)
            ref = f"{request_ref}-{rid}"
            try:
                res = record_payment(
                    session,
                    c,
                    id_number=r.id_number,
                    amount=amount,
                    channel=channel,
                    external_ref=ref,
                    paid_on=day,
                    actor=actor,
                    may_backdate=p.can("payment.backdate"),
                )
            except UrrbmiError as exc:
                # the same error (code, HTTP status), naming the member; nothing of the request stays
                exc.zh = f"{r.name}：{exc.zh}（本次{len(members)}人均未入账）"
                exc.en = f"{r.name}: {exc.en} (none of the {len(members)} payments was recorded)"
                exc.args = (f"{exc.zh} / {exc.en}",)
                raise
            pay = res.payment
            if pay.status != "accepted":
                why = HOLD_ZH.get(pay.hold_reason or "", "未能入账")
                raise Conflict(
                    f"{r.name}的缴费未能入账（{why}），本次{len(members)}人均未入账",
                    f"{r.name}'s payment was not accepted ({pay.hold_reason}); none was recorded",
                    code="household_payment_refused",
                )
            out.members.append(
                PaidMember(r.id, r.name, from_fen(pay.amount_fen), res.receipt_no, ref, res.replayed)
            )
            out.total += from_fen(pay.amount_fen)
        audit.record(
            session,
            actor,
            "payments",
            f"household:{request_ref}",
            "household_payment",
            None,
            {"members": len(members), "total": str(out.total), "channel": channel, "paid_on": str(day)},
        )
    return out


def record_outcome(
    session: Session,
    p: Principal,
    c: Campaign,
    *,
    resident_id: int,
    outcome: str,
    reason: str,
    visited_on: dt.date,
    promised_on: dt.date | None = None,
    phone: str | None = None,
    evidence_ref: str | None = None,
    actor: str,
) -> VisitOutcome:
    """Record a visit's outcome for a resident (the latest counts), with its reason and date; a
    promise needs the promised day, on or after the visit; ``phone`` updates the resident's number."""
    p.require("visit.record")
    if outcome not in OUTCOMES:
        raise InvalidInput("走访结果无法识别", f"outcome must be one of {OUTCOMES}")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写走访情况说明", "give the reason", code="visit_reason")
    today = clock.today()
    if visited_on > today:
        raise InvalidInput(f"走访日期{visited_on}晚于今天", f"visit date {visited_on} is after today")
    if outcome == "promised":
        if promised_on is None or promised_on < visited_on:
            raise InvalidInput(
                "承诺缴费须填写承诺日期（不早于走访日期）", "a promise needs a date on or after the visit"
            )
    else:
        promised_on = None
    if outcome not in REDUCIBLE:
        evidence_ref = None
    phone = (phone or "").strip() or None
    if phone is not None:
        number = phones.normalize(phone)
        if number is None:
            raise InvalidInput(
                f"电话号码无效：{phone}（应为11位手机号码或带区号的固定电话）",
                f"invalid phone number: {phone} (a mobile number or a landline with its area code)",
                code="phone",
            )
        phone = number
    r = scoped_resident(session, p, resident_id=resident_id)
    if not r.region_code.startswith(region_prefix(get_region(session, c.region_code))):
        raise out_of_scope()  # not in the campaign's region
    now = clock.now()
    v = VisitOutcome(
        campaign_id=c.id,
        resident_id=r.id,
        region_code=r.region_code,
        outcome=outcome,
        reason=reason,
        visited_on=visited_on,
        promised_on=promised_on,
        evidence_ref=(evidence_ref or "").strip() or None,
        recorded_by=actor,
        recorded_at=now,
    )
    session.add(v)
    session.flush()
    audit.record(
        session,
        actor,
        "visit_outcomes",
        v.id,
        "insert",
        None,
        {
            "resident_id": r.id,
            "outcome": outcome,
            "visited_on": str(visited_on),
            "promised_on": str(promised_on),
        },
    )
    if phone is not None:
        contact = session.get(ResidentContact, r.id)
        old = None if contact is None else {"phone": contact.phone}
        if contact is None:
            session.add(
                ResidentContact(
                    resident_id=r.id,
                    phone=phone,
                    source="visit",
                    recorded_on=visited_on,
                    updated_by=actor,
                    updated_at=now,
                )
            )
        else:
            contact.phone, contact.source, contact.recorded_on = phone, "visit", visited_on
            contact.updated_by, contact.updated_at = actor, now
        if old != {"phone": phone}:
            audit.record(session, actor, "resident_contacts", r.id, "upsert", old, {"phone": phone})
    return v


def reduce_from_outcome(
    session: Session,
    p: Principal,
    c: Campaign,
    visit_id: int,
    *,
    evidence_ref: str | None = None,
    target: str | None = None,
    actor: str,
) -> TargetReduction:
    """A task reduction (核减, one person) whose evidence is the visit outcome ``visit_id``
    (insured elsewhere or under employee insurance, with its voucher number): recorded through
    :func:`urrbmi.targets.store.add_reductions` (the notice's rules apply) on the unit of the task
    table (``target``, else the first of the campaign with a unit covering the resident) and linked
    to the outcome."""
    p.require("campaign.manage")
    v = session.get(VisitOutcome, visit_id)
    if v is None or v.campaign_id != c.id or not p.covers(v.region_code):
        raise out_of_scope()
    kind = REDUCIBLE.get(v.outcome)
    if kind is None:
        raise InvalidInput(
            "只有“已在外地参保缴费”“已参加职工医保”的走访结果可作核减凭证",
            "only outcomes proving insurance elsewhere support a task reduction",
            code="task_reduction",
        )
    if v.reduction_id is not None:
        raise Conflict("该走访结果已用于核减", "this outcome already supports a reduction")
    ref = (evidence_ref or v.evidence_ref or "").strip()
    if not ref:
        raise InvalidInput(
            "核减须填写参保凭证编号", "a reduction needs the voucher number", code="task_reduction"
        )
    q = select(TargetSet).where(
        TargetSet.campaign_id == c.id, TargetSet.unit.in_(("village", "town", "county"))
    )
    if target is not None:
        q = q.where(TargetSet.name == target)
    unit: TargetUnit | None = None
    ts: TargetSet | None = None
    for candidate in session.scalars(q.order_by(TargetSet.id)):
        units = session.scalars(
            select(TargetUnit).where(
                TargetUnit.target_set_id == candidate.id, TargetUnit.region_code.is_not(None)
            )
        ).all()
        for u in units:
            assert u.region_code is not None
            if v.region_code.startswith(region_prefix(get_region(session, u.region_code))):
                unit, ts = u, candidate
                break
        if unit is not None:
            break
    if unit is None or ts is None:
        raise InvalidInput(
            "没有载入含该村（社区）的任务表，无法核减",
            "no task table covers the resident's region",
            code="task_reduction",
        )
    r = session.get(Resident, v.resident_id)
    assert r is not None
    note = f"入户走访结果{v.id}：{OUTCOME_ZH[v.outcome]}（{v.visited_on}，{v.recorded_by}）{v.reason}"
    add_reductions(
        session,
        ts,
        [TaskReduction(unit.unit_name, 1, kind, ref, clock.today(), (r.id_number,), note[:400])],
        actor=actor,
    )
    row = session.scalars(
        select(TargetReduction).where(
            TargetReduction.target_unit_id == unit.id, TargetReduction.evidence_ref == ref
        )
    ).one()
    v.reduction_id, v.evidence_ref = row.id, ref
    audit.record(
        session, actor, "visit_outcomes", v.id, "reduction", None, {"reduction_id": row.id, "ref": ref}
    )
    return row


def reminders(
    session: Session, p: Principal, c: Campaign, *, on: dt.date | None = None, region: str | None = None
) -> list[Member]:
    """Residents still to enroll whose latest outcome is a promise, unreachable or none (not
    visited): promises first by the promised day, then the unreachable, then the others."""
    p.require("resident.read")
    on = on or clock.today()
    prefix = _scope(session, p, c, region)
    if prefix is None:
        return []
    todo = _members(session, p, c, prefix, on, keep=_Filter(state="todo", outcomes=REMIND))
    order = {"promised": 0, "unreachable": 1, None: 2}
    todo.sort(
        key=lambda m: (order[m.outcome], m.promised_on or on, m.village_code, m.household, m.birth_date)
    )
    return todo


REMINDER_HEADERS = (
    "村（社区）",
    "户号",
    "姓名",
    "身份证号",
    "联系电话",
    "人员身份",
    "个人应缴（元）",
    "走访结果",
    "承诺缴费日期",
    "走访日期",
    "说明",
)


def write_reminders_xlsx(rows: Sequence[Member], path: Path, *, title: str) -> Path:
    """The reminder list as a sheet (amounts as numbers, phone numbers as text)."""
    from openpyxl.styles import Font

    from urrbmi.export import Book

    book = Book()
    sheet = book.sheet("催缴提醒")
    sheet.append([title])
    sheet.ws["A1"].font = Font(bold=True, size=14)
    sheet.append([f"共{len(rows)}人"])
    sheet.append(list(REMINDER_HEADERS))
    for m in rows:
        sheet.append(
            [
                m.village,
                m.household,
                m.name,
                m.id_number,
                m.phone or "",
                "、".join(m.identities),
                m.individual_due,
                m.outcome_zh or "未走访",
                m.promised_on,
                m.visited_on,
                m.reason or "",
            ]
        )
    sheet.ws.freeze_panes = "A4"
    for col, width in zip("ABCDEFGHIJK", (14, 10, 10, 22, 16, 16, 14, 14, 14, 12, 30), strict=True):
        sheet.ws.column_dimensions[col].width = width
    return book.save(path)
