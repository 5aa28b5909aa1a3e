"""Department list deadlines (issue 18 item 4): which department owes which list for which region by
when (濉溪 六（三）: by 10-29 and 12-31, then monthly by the 10th; 黔江 四（二）: by 12-31, then
every month of 2022), and whether it was received on time, late or not at all.

The obligations are data (``data/list-deadlines.yaml``, per policy id); what arrived is the
``import_batches`` table (a loaded department list, its source and the China date it was loaded).
For due dates d1 < d2 < … of one obligation, a list loaded in (d(i-1), d(i)] is on time for d(i);
none on time but one loaded in (d(i), d(i+1)] (up to the report date) is late; none at all and
d(i) passed is missing; d(i) not yet passed is pending. Dates past the report date are shown only
for the next due date of each obligation.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML
from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi.clock import CHINA
from urrbmi.db.models_imports import ImportBatch
from urrbmi.imports.config import source as list_source
from urrbmi.targets.store import campaign_or_fail

Status = Literal["received", "late", "missing", "pending"]
STATUS_ZH: dict[str, str] = {
    "received": "按时报送",
    "late": "逾期报送",
    "missing": "未报送",
    "pending": "未到期",
}


class Monthly(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    day: int | Literal["last"]
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")


class Obligation(BaseModel):
    """A list one department owes, with its due dates and the notice's clause."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    department: str = Field(min_length=1)
    source: str = Field(min_length=1)
    list_name: str = Field(min_length=1, alias="list")
    due: tuple[dt.date, ...] = ()
    monthly: Monthly | None = None
    cite: str = Field(min_length=1)

    def due_dates(self) -> list[dt.date]:
        out = set(self.due)
        m = self.monthly
        if m is not None:
            y, mo = m.start.year, m.start.month
            while (y, mo) <= (m.end.year, m.end.month):
                last = calendar.monthrange(y, mo)[1]
                d = dt.date(y, mo, last if m.day == "last" else min(int(m.day), last))
                if m.start <= d <= m.end:
                    out.add(d)
                y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
        return sorted(out)


@cache
def obligations_by_policy() -> dict[str, tuple[Obligation, ...]]:
    """``data/list-deadlines.yaml``: every policy's obligations (sources checked against the
    department-list sources)."""
    text = resources.files("urrbmi.targets").joinpath("data/list-deadlines.yaml").read_text("utf-8")
    data: dict[str, Any] = YAML(typ="safe", pure=True).load(text) or {}
    out: dict[str, tuple[Obligation, ...]] = {}
    for policy_id, items in data.items():
        obs = tuple(Obligation.model_validate(x) for x in items)
        for o in obs:
            list_source(o.source)  # an unknown source is an error here, not a silent "missing"
        out[str(policy_id)] = obs
    return out


@dataclass(frozen=True)
class DueLine:
    department: str
    source: str
    list_name: str
    region: str  # the region's name
    due: dt.date
    status: Status
    received_on: dt.date | None  # the China date the list counted here was loaded
    batch_id: int | None
    days: int  # pending: days left; late: days late; missing: days overdue; received: 0
    cite: str

    @property
    def status_zh(self) -> str:
        if self.status == "pending":
            return f"未到期（剩余{self.days}天）"
        if self.status == "late":
            return f"逾期报送（晚{self.days}天）"
        if self.status == "missing":
            return f"未报送（已逾期{self.days}天）"
        return STATUS_ZH["received"]


def _day(at: dt.datetime) -> dt.date:
    return (at if at.tzinfo is None else at.astimezone(CHINA)).date()


def list_deadlines(session: Session, campaign_id: int, *, on: dt.date) -> list[DueLine]:
    """The campaign's department-list due dates up to ``on`` (and each obligation's next one),
    with what was received. Empty when the policy's notice sets no list deadlines."""
    from urrbmi.db.models import Region

    c = campaign_or_fail(session, campaign_id)
    obs = obligations_by_policy().get(c.policy_id, ())
    region = session.scalar(select(Region.name).where(Region.code == c.region_code)) or c.region_code
    sources = {o.source for o in obs}
    batches: dict[str, list[tuple[dt.date, int]]] = {s: [] for s in sources}
    if sources:
        rows = session.execute(
            select(ImportBatch.id, ImportBatch.source, ImportBatch.scope, ImportBatch.created_at).where(
                ImportBatch.source.in_(sorted(sources)), ImportBatch.kind == "list"
            )
        ).all()
        for bid, src, scope, at in rows:
            scope = scope or ""
            if c.region_code.startswith(scope) or scope.startswith(c.region_code):
                day = _day(at)
                if day <= on:
                    batches[src].append((day, bid))
        for v in batches.values():
            v.sort()
    out: list[DueLine] = []
    for o in obs:
        dues: list[dt.date] = o.due_dates()
        got = batches.get(o.source, [])
        shown_future = False
        used: set[int] = set()
        for i, d in enumerate(dues):
            if d >= on and shown_future:
                break
            first = o.monthly.start - dt.timedelta(days=1) if o.monthly and not o.due else dt.date.min
            lo = dues[i - 1] if i > 0 else first
            hi = dues[i + 1] if i + 1 < len(dues) else dt.date.max
            on_time = [b for b in got if lo < b[0] <= d and b[1] not in used]
            late = [b for b in got if d < b[0] <= hi and b[1] not in used]
            if on_time:
                status: Status = "received"
                day, bid, days = on_time[0][0], on_time[0][1], 0
            elif late:
                status, (day, bid) = "late", late[0]
                used.add(bid)  # a late list answers the overdue date, not the next one
                days = (day - d).days
            elif d < on:
                status, day, bid, days = "missing", None, None, (on - d).days  # type: ignore[assignment]
            else:
                status, day, bid, days = "pending", None, None, (d - on).days  # type: ignore[assignment]
            if d >= on:
                shown_future = True
            out.append(
                DueLine(o.department, o.source, o.list_name, region, d, status, day, bid, days, o.cite)
            )
    out.sort(key=lambda x: (x.due, x.department, x.list_name))
    return out


def summary(lines: list[DueLine]) -> dict[str, int]:
    """How many due dates are in each status (for reports)."""
    out = dict.fromkeys(STATUS_ZH, 0)
    for x in lines:
        out[x.status] += 1
    return out
