"""Bulletins on a schedule and their archive (issue 18 item 5; 丰都 八（三）: 镇社保所每半月通报).

A bulletin for any date is :func:`reports.bulletin_from_db` (progress by
:func:`counting.resident_state` at that date). *Issuing* one stores it in ``bulletin_issues``: the
figures (the bulletin's table as :func:`columns.table_json` gives it, ratios as printed), the
Excel and the HTML as sent. The archive lists them and gives each file back. :func:`recheck`
re-renders an issued bulletin from the ledger for its date and compares the figures with those
archived: the ledger counts by dates (registration, payment, reversal), so changes made after
the date leave the figures alone; a difference means records were back-dated, and is named.

The schedule is data (``data/bulletin-schedules.yaml``, per policy id): days of the month
(``last`` = the month's last day) between two dates.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML
from sqlalchemy import select
from sqlalchemy.orm import Session

from urrbmi.clock import now
from urrbmi.db.models_progress import BulletinIssue
from urrbmi.errors import InvalidInput
from urrbmi.registry.audit import record
from urrbmi.targets.bulletin import Bulletin, render_html, xlsx_bytes
from urrbmi.targets.bulletin import table as bulletin_table
from urrbmi.targets.counting import Level, ScopeError, effective_prefix
from urrbmi.targets.reports import bulletin_from_db
from urrbmi.targets.store import campaign_or_fail


class BulletinExists(InvalidInput):
    code = "bulletin_exists"
    http_status = 409


class BulletinNotFound(InvalidInput):
    code = "bulletin_not_found"
    http_status = 404


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    days: tuple[int | Literal["last"], ...] = Field(min_length=1)
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    label: str = Field(min_length=1)
    cite: str = Field(min_length=1)

    def dates(self) -> list[dt.date]:
        out: set[dt.date] = set()
        y, m = self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            last = calendar.monthrange(y, m)[1]
            for d in self.days:
                day = dt.date(y, m, last if d == "last" else min(int(d), last))
                if self.start <= day <= self.end:
                    out.add(day)
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return sorted(out)


@cache
def schedules() -> dict[str, Schedule]:
    text = resources.files("urrbmi.targets").joinpath("data/bulletin-schedules.yaml").read_text("utf-8")
    data: dict[str, Any] = YAML(typ="safe", pure=True).load(text) or {}
    return {str(k): Schedule.model_validate(v) for k, v in data.items()}


def _plain(value: Any) -> Any:
    """JSON-storable figures: Decimal ratios as text (exact, as printed)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def figures(b: Bulletin) -> dict[str, Any]:
    """The bulletin's table (columns and rows, as every report prints them) in storable form."""
    return {
        "title": b.title,
        "as_of": b.as_of.isoformat(),
        "target_rate": str(b.target_rate),
        **_plain(bulletin_table(b)),
    }


def render(
    session: Session,
    campaign_id: int,
    *,
    on: dt.date,
    level: Level = "town",
    scope: str = "",
    target_rate: Decimal | None = None,
) -> tuple[Bulletin, dict[str, Any]]:
    """The bulletin for ``on`` from the ledger as it stands, and its figures (``target_rate``
    overrides the task table's or policy's, as for any bulletin)."""
    b, _ = bulletin_from_db(session, campaign_id, on=on, level=level, scope=scope, target_rate=target_rate)
    return b, figures(b)


def issue(
    session: Session,
    campaign_id: int,
    *,
    on: dt.date,
    actor: str,
    level: Level = "town",
    scope: str = "",
    target_rate: Decimal | None = None,
) -> BulletinIssue:
    """Render the bulletin for ``on`` and keep it (figures, Excel, HTML). One per date, level and
    scope: issuing the same again is refused (the archive keeps what was sent)."""
    c = campaign_or_fail(session, campaign_id)
    scope = _normal(session, c, scope)
    old = session.scalar(
        select(BulletinIssue.id).where(
            BulletinIssue.campaign_id == c.id,
            BulletinIssue.as_of == on,
            BulletinIssue.level == level,
            BulletinIssue.scope == scope,
        )
    )
    if old is not None:
        raise BulletinExists(
            f"{on:%Y-%m-%d}的通报已发布（编号{old}），档案不再改动",
            f"the bulletin for {on} was already issued (number {old}); the archive is not changed",
        )
    b, figs = render(session, campaign_id, on=on, level=level, scope=scope, target_rate=target_rate)
    xlsx = xlsx_bytes(b)
    row = BulletinIssue(
        campaign_id=c.id, as_of=on, level=level, scope=scope, title=b.title, figures=figs, xlsx=xlsx,
        html=render_html(b), issued_by=actor, issued_at=now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    record(session, actor, "bulletin_issues", row.id, "issue", None, {"campaign": c.id, "on": on.isoformat()})
    return row


def _normal(session: Session, c: Any, scope: str) -> str:
    """The scope as stored: the campaign's region narrowed by ``scope`` (so "" and the county's
    own prefix are one bulletin)."""
    prefix = effective_prefix(session, c, scope)
    if prefix is None:
        raise ScopeError(
            f"范围“{scope}”不在征缴批次{c.id}的区划内", f"scope {scope!r} is outside campaign {c.id}"
        )
    return prefix


def issued(session: Session, campaign_id: int, *, scope: str = "") -> list[BulletinIssue]:
    """The archive: bulletins issued for the campaign within ``scope`` (a bulletin of a wider
    scope is not shown to a narrower one), by date."""
    rows = session.scalars(
        select(BulletinIssue).where(BulletinIssue.campaign_id == campaign_id).order_by(BulletinIssue.as_of)
    )
    return [r for r in rows if r.scope.startswith(scope)]


def get_issue(session: Session, campaign_id: int, issue_id: int, *, scope: str = "") -> BulletinIssue:
    row = session.get(BulletinIssue, issue_id)
    if row is None or row.campaign_id != campaign_id or not row.scope.startswith(scope):
        raise BulletinNotFound(f"没有编号{issue_id}的通报", f"no bulletin {issue_id}")
    return row


@dataclass(frozen=True)
class Recheck:
    issue_id: int
    as_of: dt.date
    same: bool
    differences: tuple[str, ...]  # 单位 列 archived → now, in Chinese


def recheck(session: Session, campaign_id: int, issue_id: int, *, scope: str = "") -> Recheck:
    """Re-render an issued bulletin from the ledger for its date and compare every figure."""
    row = get_issue(session, campaign_id, issue_id, scope=scope)
    was = row.figures
    rate = Decimal(was["target_rate"])  # the rate it was issued with, whatever the tables say now
    level: Level = row.level  # type: ignore[assignment]
    _, now_figs = render(session, campaign_id, on=row.as_of, level=level, scope=row.scope, target_rate=rate)
    labels = {c["key"]: c["zh"] for c in was.get("columns", [])}
    diffs: list[str] = []
    old_rows = {str(r.get("unit")): r for r in was.get("rows", [])}
    new_rows = {str(r.get("unit")): r for r in now_figs.get("rows", [])}
    for unit in sorted(set(old_rows) | set(new_rows)):
        a, b = old_rows.get(unit), new_rows.get(unit)
        if a is None or b is None:
            diffs.append(f"{unit}：{'新出现' if a is None else '已不在表中'}")
            continue
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                diffs.append(f"{unit} {labels.get(key, key)}：{a.get(key)} → {b.get(key)}")
    return Recheck(row.id, row.as_of, not diffs, tuple(diffs))


@dataclass(frozen=True)
class Due:
    on: dt.date
    issue_id: int | None


def schedule(
    session: Session, campaign_id: int, *, until: dt.date, scope: str = ""
) -> tuple[Schedule | None, list[Due]]:
    """The policy's bulletin dates up to ``until`` and the bulletin issued for each (None: not
    issued). No schedule in the notice: (None, [])."""
    c = campaign_or_fail(session, campaign_id)
    sch = schedules().get(c.policy_id)
    if sch is None:
        return None, []
    own = _normal(session, c, scope)
    by_day = {r.as_of: r.id for r in issued(session, campaign_id, scope=scope) if r.scope == own}
    return sch, [Due(d, by_day.get(d)) for d in sch.dates() if d <= until]
