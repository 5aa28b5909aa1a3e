"""The residents of an agent's round as rows: their state at a date (labels of
:func:`urrbmi.targets.counting.resident_state`'s flags), latest visit outcome, phone and activation,
read in one SQL query through the caller's scope and filtered there (:class:`Filter`). The
worklist, household, reminders and activation lists are built on :func:`select_members`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, literal, or_, select
from sqlalchemy.orm import Session

from urrbmi import ids
from urrbmi.access.scope import Principal, check_region, resident_clause, scoped_campaign
from urrbmi.access.scope import visible_campaigns as _visible
from urrbmi.campaign.fieldwork.kept import kept_state
from urrbmi.db.dialect import custom_plans
from urrbmi.db.models import Campaign, Region, Resident
from urrbmi.db.models_fieldwork import CredentialActivation, ResidentContact, VisitOutcome
from urrbmi.errors import InvalidInput
from urrbmi.imports import phones
from urrbmi.money import from_fen
from urrbmi.policy.identities import all_identities
from urrbmi.registry.errors import NotFound
from urrbmi.registry.regions import get_region
from urrbmi.registry.regions import prefix as region_prefix
from urrbmi.targets.cohorts import live_at
from urrbmi.targets.counting import effective_prefix, in_prefix, resident_state

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


def read_prefix(session: Session, p: Principal, c: Campaign, region: str | None) -> str | None:
    """The region prefix to read: ``region`` (inside the user's) or the user's, within the campaign.

    The list's statements are planned for their values from here to the end of the transaction
    (:func:`custom_plans`): the same statement reads a village, a town or the county, and on a
    pooled connection PostgreSQL's generic plan served a village's not-activated list in 115 ms
    against 65 ms (docs/decisions.md, "Plans for the values given")."""
    custom_plans(session)
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
    total_households: int | None  # None: not counted (a county's list: worklist._kept_page)
    total_residents: int | None
    offset: int
    limit: int
    households: tuple[HouseholdGroup, ...]
    more: bool = False  # households follow this page


class Rows:
    """Rows already fetched, read like a result (``mappings()``)."""

    def __init__(self, rows: Sequence[Any]) -> None:
        self.rows = rows

    def mappings(self) -> list[Any]:
        return [r._mapping for r in self.rows]


@dataclass(frozen=True)
class MemberPage:
    """A page of a list of residents, and how many the whole list holds."""

    total: int
    offset: int
    limit: int
    items: tuple[Member, ...]


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
class Filter:
    """What a list keeps, applied in SQL: a state label (``all``: any), identity codes (any of
    them), latest visit outcomes (``None`` in it: not visited), residents' own conditions."""

    state: str = "all"
    codes: tuple[str, ...] | None = None
    outcomes: tuple[str | None, ...] | None = None
    where: tuple[Any, ...] = ()
    activated: bool | None = None  # False: not activated by the day


_LIVE = ("categories", "individual_fen", "last_status", "alive", "enrolled", "employee", "elsewhere")


def _sources(
    session: Session, c: Campaign, prefix: str, on: dt.date, *, kept: bool = False, rids: Any = None
) -> tuple[Any, Any]:
    """The per-resident state and the latest visit outcome per resident, both for ``prefix``.
    The state: :func:`resident_state` over ``prefix``; with ``rids``, of those residents only
    (:func:`live_at`); ``kept``: the kept segments' flags (:func:`.kept.kept_state`)."""
    if rids is not None:
        st = live_at(session, c, prefix, on, Resident.id.in_(rids), _LIVE)
    elif kept:
        st = kept_state(c, prefix, on)
    else:
        st = resident_state(session, c, prefix, on, columns=["rid", *_LIVE])
    latest = (
        select(VisitOutcome.resident_id, func.max(VisitOutcome.id).label("vid"))
        .where(VisitOutcome.campaign_id == c.id, in_prefix(VisitOutcome.region_code, prefix))
        .group_by(VisitOutcome.resident_id)
        .subquery()
    )
    return st, latest


def _conditions(st: Any, f: Filter, on: dt.date) -> list[Any]:
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
    session: Session,
    p: Principal,
    c: Campaign,
    prefix: str,
    on: dt.date,
    f: Filter,
    *,
    kept: bool = False,
    rids: Any = None,
) -> tuple[Any, Any]:
    """SELECT … FROM residents of ``prefix`` in the caller's scope joined to their state, latest
    visit and activation, WHERE the filter holds (columns added by the caller)."""
    st, latest = _sources(session, c, prefix, on, kept=kept, rids=rids)
    return (
        select()
        .select_from(Resident)
        .join(st, st.c.rid == Resident.id)
        .outerjoin(latest, latest.c.resident_id == Resident.id)
        .outerjoin(VisitOutcome, VisitOutcome.id == latest.c.vid)
        .outerjoin(CredentialActivation, CredentialActivation.resident_id == Resident.id)
        .where(resident_clause(p), *_conditions(st, f, on))
    ), st


def kept_query(
    session: Session,
    p: Principal,
    c: Campaign,
    prefix: str,
    on: dt.date,
    keep: Filter,
    where: Sequence[Any] = (),
) -> Any:
    """The residents a list keeps (``keep`` and ``where``), found from the state kept as data
    (:mod:`.kept`; the caller checked it is up to date), with the columns the lists order by:
    ``id``, ``region_code``, ``household_id``, ``birth_date``, the latest visit's ``outcome`` and
    ``promised_on``."""
    # the region's residents through their index (the scope's LIKE cannot use it)
    within = (*keep.where, in_prefix(Resident.region_code, prefix), *where)
    base, _st = _matching(session, p, c, prefix, on, replace(keep, where=within), kept=True)
    return base.add_columns(
        Resident.id,
        Resident.region_code,
        Resident.household_id,
        Resident.birth_date,
        VisitOutcome.outcome,
        VisitOutcome.promised_on,
    )


def check_people_page(limit: int, offset: int) -> None:
    """A page of a list of residents holds 1 to 200 of them (the phone's lists)."""
    if not 1 <= limit <= 200 or offset < 0:
        raise InvalidInput("每页人数须在1到200之间", "limit must be 1..200, offset >= 0")


def members_in_order(
    session: Session, p: Principal, c: Campaign, prefix: str, on: dt.date, rids: Sequence[int]
) -> tuple[Member, ...]:
    """:func:`select_members` of residents ``rids`` (a page found from the kept state), in that
    order."""
    rows = {m.resident_id: m for m in select_members(session, p, c, prefix, on, rids=rids)}
    return tuple(rows[r] for r in rids)


def select_members(
    session: Session,
    p: Principal,
    c: Campaign,
    prefix: str,
    on: dt.date,
    *,
    where: Sequence[Any] = (),
    keep: Filter | None = None,
    rids: Sequence[int] | None = None,
) -> list[Member]:
    """Residents under ``prefix`` (and ``where``, and ``keep``, in SQL) with their state at ``on``,
    latest visit outcome, phone and activation; in the caller's scope only. ``rids``: only these
    residents, their state evaluated for them alone (a page found from the kept state)."""
    q = member_query(session, p, c, prefix, on, where, keep, rids=rids)
    return to_members(p, on, session.execute(q))


def member_query(
    session: Session,
    p: Principal,
    c: Campaign,
    prefix: str,
    on: dt.date,
    where: Sequence[Any] = (),
    keep: Filter | None = None,
    *,
    rids: Sequence[int] | None = None,
) -> Any:
    f = keep or Filter()
    base, st = _matching(session, p, c, prefix, on, replace(f, where=(*f.where, *where)), rids=rids)
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


def to_members(p: Principal, on: dt.date, rows: Any) -> list[Member]:
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
