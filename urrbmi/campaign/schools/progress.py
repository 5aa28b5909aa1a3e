"""Progress by school: pupils on each roster and enrolled at a date, counted through
:func:`urrbmi.targets.counting.resident_state` (the one definition of enrolled).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urrbmi.campaign.schools.base import pupils_prefix
from urrbmi.db.models import Campaign, Region
from urrbmi.db.models_schools import School, SchoolPupil
from urrbmi.targets.counting import policy_rate, resident_state


@dataclass(frozen=True)
class SchoolProgress:
    school_id: int
    name: str
    region_code: str
    region_name: str
    roster: int  # pupils on the roster
    enrolled: int  # of whom enrolled at the date (resident_state)
    target_rate: Decimal | None  # the policy's students' rate (泰兴 二: 100%)

    @property
    def rate(self) -> Decimal | None:
        return None if not self.roster else (Decimal(self.enrolled) / self.roster).quantize(Decimal("0.0001"))

    @property
    def remaining(self) -> int | None:
        """Pupils still to enroll to reach the target rate (None without a rate)."""
        if self.target_rate is None:
            return None
        need = -(-(self.target_rate * self.roster) // 1)  # ceiling
        return max(int(need) - self.enrolled, 0)


def school_progress(session: Session, c: Campaign, on: dt.date, *, scope: str = "") -> list[SchoolProgress]:
    """Per school of the campaign (inside ``scope``) with a roster: pupils on it and enrolled at
    ``on``, by :func:`urrbmi.targets.counting.resident_state`."""
    in_scope = select(School.id).where(School.region_code.startswith(scope, autoescape=True))
    state = resident_state(session, c, pupils_prefix(session, c, in_scope), on, columns=["rid", "enrolled"])
    rows = session.execute(
        select(
            School.id,
            School.name,
            School.region_code,
            Region.name,
            func.count(SchoolPupil.id),
            func.coalesce(func.sum(state.c.enrolled), 0),
        )
        .join(SchoolPupil, SchoolPupil.school_id == School.id)
        .join(Region, Region.code == School.region_code)
        .outerjoin(state, state.c.rid == SchoolPupil.resident_id)
        .where(SchoolPupil.campaign_id == c.id, School.region_code.startswith(scope, autoescape=True))
        .group_by(School.id, School.name, School.region_code, Region.name)
        .order_by(School.region_code, School.name)
    ).all()
    rate = policy_rate(c, "school")
    return [
        SchoolProgress(sid, name, code, rname, int(n), int(e), rate) for sid, name, code, rname, n, e in rows
    ]
