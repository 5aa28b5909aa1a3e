"""Identity lists (民政, 乡村振兴, 残联, 退役军人, 卫健…): monthly dynamics of memberships.

New memberships from the list's date; in ``replace`` mode the source's open memberships of its
categories that are absent from the list end on the day before (gained and lost per category).
The 教育 and 人社 lists set a resident attribute first (:mod:`urrbmi.imports.apply.attributes`).
Residents who paid before gaining an identity get their pending 补发 (:mod:`urrbmi.imports.effects`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import ClassVar

from sqlalchemy import Date, String, delete, exists, func, insert, literal, null, or_, select, update

from urrbmi.db.bulk import bulk_insert
from urrbmi.db.models import AuditLog, Membership, Resident
from urrbmi.imports import config as cfg
from urrbmi.imports.apply.attributes import apply_attributes
from urrbmi.imports.kinds import ATTRIBUTE_SOURCES
from urrbmi.imports.staging import Staging, table
from urrbmi.limits import check_removals
from urrbmi.policy.identities import all_identities
from urrbmi.registry import audit


def source_categories(source: str) -> set[str]:
    """The categories a source certifies (vocabulary ``department``) plus its default one: a list
    in ``replace`` mode is the whole truth for these."""
    voc = all_identities()
    out = {
        c.code for c in voc.by_code.values() if c.department == source or any(s == source for s, _ in c.lists)
    }
    default = cfg.source(source).default_category
    if default:
        out.add(default)
    return out


class IdentityApplier:
    kind: ClassVar[str] = "list"

    def apply(self, stg: Staging) -> None:
        apply_identities(stg)
        if stg.result.gained:
            from urrbmi.imports.effects import retro_subsidies  # effects imports urrbmi.imports.load

            gained = select(Membership.resident_id).where(Membership.batch_id == str(stg.bid))
            stg.result.retro_subsidies = retro_subsidies(stg.s, gained, stg.batch.as_of, actor=stg.actor)


def apply_identities(stg: Staging) -> None:
    """Memberships from the batch's date for the listed residents who do not hold them; in
    ``replace`` mode the source's memberships absent from the list end (:func:`_end_absent`)."""
    st = stg.st
    m = table(Membership)
    source, as_of = stg.batch.source, stg.batch.as_of
    stg.set_status("unregistered", st.c.resident_id.is_(None))
    if stg.batch.source in ATTRIBUTE_SOURCES:
        apply_attributes(stg)
    # no identity on the row: nothing to load as a membership
    stg.set_status("unchanged", st.c.category_code.is_(None))
    # one membership per (resident, category): later rows of the same pair are unchanged
    stg.later_rows_unchanged(st.c.resident_id, st.c.category_code)
    holds = exists().where(
        m.c.resident_id == st.c.resident_id,
        m.c.category_code == st.c.category_code,
        m.c.source_department == source,
        m.c.valid_from <= as_of,
        or_(m.c.valid_to.is_(None), m.c.valid_to >= as_of),
    )
    stg.set_status("unchanged", holds)
    gained = stg.s.execute(
        select(st.c.category_code, func.count())
        .where(stg.mine(), st.c.status.is_(None))
        .group_by(st.c.category_code)
    ).all()
    stg.s.execute(
        insert(m).from_select(
            ["resident_id", "category_code", "source_department", "valid_from", "valid_to", "batch_id"],
            select(
                st.c.resident_id,
                st.c.category_code,
                literal(source, String()),
                literal(as_of, Date()),
                null(),
                literal(str(stg.bid), String()),
            )
            .where(stg.mine(), st.c.status.is_(None))
            # in key order: the (resident, category) index and the key check on residents then
            # touch their pages in order (a million rows: 20 s instead of 34 s on PostgreSQL)
            .order_by(st.c.resident_id),
        )
    )
    stg.rest = "loaded"  # the rows left without a status are the memberships just inserted
    stg.result.gained = {c: n for c, n in gained}
    if stg.batch.mode == "replace":
        _end_absent(stg)


def _end_absent(stg: Staging) -> None:
    st = stg.st
    m = table(Membership)
    res = table(Resident)
    source, as_of = stg.batch.source, stg.batch.as_of
    cats = source_categories(source) | {
        c for (c,) in stg.s.execute(select(st.c.category_code).where(stg.mine()).distinct()) if c
    }
    listed = exists().where(
        stg.mine(),
        st.c.resident_id == m.c.resident_id,
        st.c.category_code == m.c.category_code,
        or_(st.c.status.is_(None), st.c.status.in_(("loaded", "unchanged", "conflict"))),  # None: loaded
    )
    in_scope = exists().where(res.c.id == m.c.resident_id, res.c.region_code.like(stg.scope + "%"))
    current = (
        m.c.source_department == source,
        or_(m.c.batch_id.is_(None), m.c.batch_id != str(stg.bid)),  # this list's own are listed
        m.c.category_code.in_(sorted(cats)),
        or_(m.c.valid_to.is_(None), m.c.valid_to >= as_of),
        *([in_scope] if stg.scope else []),
    )
    ending = stg.s.execute(
        select(m.c.id, m.c.resident_id, m.c.category_code, m.c.valid_from, m.c.valid_to).where(
            *current,
            ~listed,
            # residents whose rows in this file disagree (held for review) keep their identities
            *([m.c.resident_id.not_in(sorted(stg.held))] if stg.held else []),
        )
    ).all()
    if not ending:
        return
    held = stg.s.scalar(select(func.count()).select_from(m).where(*current))
    check_removals(
        len(ending),
        int(held or 0),
        what_zh=f"“{cfg.source(source).name}”身份",
        what_en=f"current identities from {source}",
        confirmed=stg.confirm_removals,
    )
    end = as_of - dt.timedelta(days=1)
    started_later = [r.id for r in ending if r.valid_from > end]
    ended = [r.id for r in ending if r.valid_from <= end]
    for i in range(0, len(ended), 1000):
        stg.s.execute(update(m).where(m.c.id.in_(ended[i : i + 1000])).values(valid_to=end))
    for i in range(0, len(started_later), 1000):
        stg.s.execute(delete(m).where(m.c.id.in_(started_later[i : i + 1000])))
    stg.result.lost = dict(Counter(r.category_code for r in ending))
    stamp = audit.now()
    bulk_insert(
        stg.s,
        AuditLog,
        [
            {
                "at": stamp,
                "actor": stg.actor,
                "table_name": "memberships",
                "row_key": str(r.id),
                "action": "update" if r.valid_from <= end else "delete",
                "old": {
                    "resident_id": r.resident_id,
                    "category": r.category_code,
                    "to": r.valid_to.isoformat() if r.valid_to else None,
                },
                "new": {"to": end.isoformat(), "batch_id": stg.bid} if r.valid_from <= end else None,
            }
            for r in ending
        ],
    )
