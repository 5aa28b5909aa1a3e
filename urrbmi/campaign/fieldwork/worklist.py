"""The worklist (residents not yet paid, grouped and paged by household in SQL) and one household
with every member's amount due (the statement's, :func:`urrbmi.campaign.lookup.fast_statement`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import case, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from urrbmi import clock
from urrbmi.access.errors import out_of_scope
from urrbmi.access.scope import Principal, resident_clause, scoped_resident
from urrbmi.campaign.fieldwork.kept import usable
from urrbmi.campaign.fieldwork.members import (
    STATE_ZH,
    STATES,
    Filter,
    HouseholdGroup,
    Member,
    Rows,
    Worklist,
    kept_query,
    member_query,
    read_prefix,
    select_members,
    to_members,
)
from urrbmi.campaign.lookup import fast_statement
from urrbmi.db.models import Campaign, Resident
from urrbmi.db.models_fieldwork import OUTCOMES
from urrbmi.errors import InvalidInput
from urrbmi.policy.identities import all_identities
from urrbmi.targets.counting import effective_prefix


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


Key = tuple[str, str, int | None]
WIDE_BELOW = 9  # region codes shorter than a town's (a county's, 6): its list is not counted


def _kept_page(
    session: Session,
    p: Principal,
    c: Campaign,
    prefix: str,
    on: dt.date,
    keep: Filter,
    limit: int,
    offset: int,
) -> Worklist:
    """The worklist's page from the state kept as data (:mod:`.kept`): the page's households read
    in the list's order (village, household number, then residents without one) from the
    residents' index, which stops at the page; their matching members, evaluated live; whether
    more follow; and the totals, counted over the matching residents unless the first page holds
    them all. Wider than a town (a county's list), the totals are not counted: None (assumed:
    counting the households among a county's half a million residents still to enroll costs
    ~0.5 s a page at 1.14 M residents; the county's figures are on the progress page)."""
    mq = kept_query(session, p, c, prefix, on, keep)
    alone = case((Resident.household_id.is_(None), Resident.id))
    keys = mq.add_columns(alone.label("alone")).subquery("matching")
    by = (keys.c.region_code, keys.c.household_id, keys.c.alone)
    ordered = (keys.c.region_code, keys.c.household_id.is_(None), keys.c.household_id, keys.c.alone)
    page = session.execute(select(*by).group_by(*by).order_by(*ordered).offset(offset).limit(limit + 1)).all()
    more = len(page) > limit
    page = page[:limit]
    order: list[Key] = [(v, h or "", a) for v, h, a in page]
    members: list[Member] = []
    if page:
        named = [(v, h) for v, h, _a in page if h is not None]
        either = [Resident.id.in_([a for _v, h, a in page if h is None])]
        if named:
            either.append(tuple_(Resident.region_code, Resident.household_id).in_(named))
        chosen = kept_query(session, p, c, prefix, on, keep, [or_(*either)]).subquery()
        rids = list(session.scalars(select(chosen.c.id)))
        members = select_members(session, p, c, prefix, on, rids=rids)
    groups = tuple(_group(members, order))
    if offset == 0 and not more:  # the whole list is on this page
        return Worklist(c.id, c.benefit_year, on, len(page), len(members), offset, limit, groups, more)
    if len(prefix) < WIDE_BELOW:
        return Worklist(c.id, c.benefit_year, on, None, None, offset, limit, groups, more)
    residents, named_households, in_households = session.execute(
        select(
            func.count(),
            func.count(func.distinct(keys.c.region_code + literal("/") + keys.c.household_id)),
            func.count(keys.c.household_id),
        ).select_from(keys)
    ).one()
    households = int(named_households) + int(residents) - int(in_households)
    return Worklist(c.id, c.benefit_year, on, households, int(residents), offset, limit, groups, more)


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
    prefix = read_prefix(session, p, c, region)
    codes: tuple[str, ...] | None = None
    if identity:
        voc = all_identities()
        name = voc.resolve(identity).name
        codes = tuple(code for code in voc.by_code if voc.label(code) == name)
    keep = Filter(
        state=state,
        codes=codes,
        outcomes=None if outcome is None else ((None,) if outcome == "none" else (outcome,)),
        where=tuple(_search(q)),
    )
    if prefix is None:
        return Worklist(c.id, c.benefit_year, on, 0, 0, offset, limit, ())
    if usable(session, c):  # from the state kept as data: no resident of the region evaluated live
        return _kept_page(session, p, c, prefix, on, keep, limit, offset)
    # live (a SQLite reader behind another writer): households matching the filter, counted and
    # paged in the database in one query (issue 15: a county's list filtered in Python took
    # 1.5-2.8 s at 22 k residents): the members ranked by household, the totals over all of
    # them, the page's households kept
    mq = member_query(session, p, c, prefix, on, keep=keep)
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
    households = _group(to_members(p, on, Rows(rows)), order)
    return Worklist(
        c.id,
        c.benefit_year,
        on,
        int(total_households),
        int(total_residents),
        offset,
        limit,
        tuple(households),
        offset + limit < int(total_households),
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
    for m in select_members(session, p, c, prefix, on, where=[same]):
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
