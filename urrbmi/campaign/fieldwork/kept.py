"""The agent's lists read from the state kept as data (:mod:`urrbmi.targets.cohorts`; issue 15
item 6): which residents a list holds, and how many, are found from the segments whose stretch
holds the day (and, counted by village, from the cohorts), so a list of a county reads no
resident's state live; only the page's residents are then evaluated by the one definition
(:func:`urrbmi.targets.cohorts.live_at`, :func:`urrbmi.targets.state.resident_state` at the day).

Used only when the kept state is up to date for the caller's transaction (:func:`usable`): a
SQLite reader that another writer got ahead of reads the lists live, as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urrbmi.db.models import Campaign
from urrbmi.db.models_fieldwork import CredentialActivation, VisitOutcome
from urrbmi.db.models_state import StateSegment
from urrbmi.targets.cohort_reads import cohort_counts, holds
from urrbmi.targets.cohorts import prepare
from urrbmi.targets.state import in_prefix

# the columns of resident_state the lists filter on, all kept in a segment
KEPT = ("village", "categories", "alive", "enrolled", "employee", "elsewhere")


def usable(session: Session, c: Campaign) -> bool:
    """Bring the kept state up to date for this transaction; whether the lists may read it."""
    return prepare(session, c) == "none"


def kept_state(c: Campaign, prefix: str, on: dt.date) -> Any:
    """A subquery shaped like :func:`resident_state` (``rid`` and :data:`KEPT`): each resident
    of ``prefix`` with the segment holding ``on`` (every resident has one from the beginning)."""
    seg = StateSegment.__table__
    return (
        select(seg.c.resident_id.label("rid"), *(seg.c[k] for k in KEPT))
        .where(seg.c.campaign_id == c.id, holds(seg, on), in_prefix(seg.c.village, prefix))
        .subquery("st")
    )


def _counted_less(
    session: Session, c: Campaign, prefix: str, on: dt.date, flags: dict[str, int], less: Any
) -> list[tuple[str, int]]:
    """(village, residents with ``flags`` at ``on`` but for those in ``less``, a subquery of
    ``resident_id``: a row each), villages in order and none empty: the counts from the cohorts,
    less the kept segments of those in ``less``."""
    counted = cohort_counts(session, c, on, prefix, ["village"], flags=flags, pending="none")
    seg = StateSegment.__table__
    taken: dict[str, int] = dict(
        session.execute(
            select(seg.c.village, func.count())
            .join(less, less.c.resident_id == seg.c.resident_id)
            .where(
                seg.c.campaign_id == c.id,
                holds(seg, on),
                in_prefix(seg.c.village, prefix),
                *(seg.c[f] == v for f, v in flags.items()),
            )
            .group_by(seg.c.village)
        ).all()
    )
    counts = ((str(v), int(n) - int(taken.get(v, 0))) for v, n, _fen in counted)
    return sorted((v, n) for v, n in counts if n > 0)


def living_not_activated_by_village(
    session: Session, c: Campaign, prefix: str, on: dt.date
) -> list[tuple[str, int]]:
    """(village, residents alive at ``on`` who had not activated by then), villages in order: the
    living from the cohorts, less the living who had activated (a row per activation)."""
    activated = select(CredentialActivation.resident_id).where(CredentialActivation.activated_on <= on)
    return _counted_less(session, c, prefix, on, {"alive": 1}, activated.subquery())


def not_visited_by_village(session: Session, c: Campaign, prefix: str, on: dt.date) -> list[tuple[str, int]]:
    """(village, residents still to enroll at ``on`` with no visit recorded in ``prefix``), villages
    in order: those to enroll from the cohorts, less those of them visited (a row per visited
    resident; a visit counts where it was recorded, as the lists read it)."""
    todo = {"alive": 1, "enrolled": 0, "employee": 0, "elsewhere": 0}
    visited = (
        select(VisitOutcome.resident_id)
        .where(VisitOutcome.campaign_id == c.id, in_prefix(VisitOutcome.region_code, prefix))
        .distinct()
    )
    return _counted_less(session, c, prefix, on, todo, visited.subquery())
