"""Population lists (户籍 ``hukou``, 公安 ``gongan``): residents added, deceased, moved out or moved.

New IDs present, born or moved in are added in one ``INSERT … SELECT``; the few changes to
registered residents each month go through the registry (history and audit).
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from sqlalchemy import Boolean, DateTime, Integer, String, and_, func, insert, literal, or_, select, update

from urrbmi.db.models import Resident
from urrbmi.imports.staging import Staging, table
from urrbmi.registry import audit
from urrbmi.registry.residents import update_resident


class PopulationApplier:
    kind: ClassVar[str] = "population"

    def apply(self, stg: Staging) -> None:
        apply_population(stg)


def apply_population(stg: Staging) -> None:
    st = stg.st
    res = table(Resident)
    # several rows for one ID (出生 then 死亡…): the first one decides; the rest are unchanged
    stg.later_rows_unchanged(st.c.id_number)
    new = and_(st.c.resident_id.is_(None), st.c.event.in_(("present", "birth", "move_in")))
    stg.set_status("unregistered", st.c.resident_id.is_(None), st.c.region_code.is_(None))
    stg.set_status("unregistered", st.c.resident_id.is_(None), ~new)
    stamp = audit.now()
    added = stg.s.execute(select(func.count()).where(stg.mine(), st.c.status.is_(None), new)).scalar_one()
    stg.s.execute(
        insert(res).from_select(
            [
                "id_number",
                "name",
                "sex",
                "birth_date",
                "region_code",
                "residence",
                "employee_insured",
                "status",
                "row_version",
                "updated_at",
            ],
            select(
                st.c.id_number,
                st.c.name,
                st.c.sex,
                st.c.birth_date,
                st.c.region_code,
                literal("hukou", String()),
                literal(False, Boolean()),
                literal("active", String()),
                literal(1, Integer()),
                literal(stamp, DateTime(timezone=True)),
            ).where(stg.mine(), st.c.status.is_(None), new),
        )
    )
    stg.s.execute(
        update(st)
        .where(stg.mine(), st.c.status.is_(None), new)
        .values(
            status="loaded",
            resident_id=select(res.c.id).where(res.c.id_number == st.c.id_number).scalar_subquery(),
        )
    )
    if added:
        audit.record(stg.s, stg.actor, "residents", f"batch:{stg.bid}", "insert", None, {"added": added})
    # changes to registered residents: few per month, through the registry (history + audit)
    changes = stg.s.execute(
        select(
            st.c.row_no,
            st.c.id_number,
            st.c.event,
            st.c.event_date,
            st.c.region_code,
            res.c.region_code.label("r_region"),
            res.c.status.label("r_status"),
        )
        .join(res, res.c.id == st.c.resident_id)
        .where(
            stg.mine(),
            st.c.status.is_(None),
            or_(
                and_(st.c.event == "death", res.c.status != "deceased"),
                and_(st.c.event == "move_out", res.c.status == "active"),
                and_(
                    st.c.region_code.is_not(None),
                    st.c.region_code != res.c.region_code,
                    st.c.event.in_(("present", "move_in", "birth")),
                ),
            ),
        )
    ).all()
    counts = Counter[str]({"added": added})
    reason = f"import batch {stg.bid} ({stg.batch.source})"
    for r in changes:
        if r.event == "death":
            update_resident(
                stg.s,
                r.id_number,
                {"status": "deceased", "died_on": r.event_date or stg.batch.as_of},
                actor=stg.actor,
                reason=reason,
            )
            counts["deceased"] += 1
        elif r.event == "move_out":
            update_resident(stg.s, r.id_number, {"status": "moved_out"}, actor=stg.actor, reason=reason)
            counts["moved_out"] += 1
        else:
            update_resident(
                stg.s, r.id_number, {"region_code": r.region_code}, actor=stg.actor, reason=reason
            )
            counts["moved"] += 1
    if changes:
        stg.set_status("loaded", st.c.row_no.in_([r.row_no for r in changes]))
    stg.rest = "unchanged"
    stg.result.population = dict(counts)
