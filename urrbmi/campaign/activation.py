"""医保电子凭证 activation (issue 15 item 2; 丰都社坛 七, 濉溪 六: villages see to it that their residents
activate it): the platform's activation lists imported by ID number and date, the activation rate
by village and town beside enrollment, and the residents of a village who have not activated.

Files are read by :func:`urrbmi.imports.reader.read` (CSV in any encoding, XLSX, XLS, an HTML
table). A row with an invalid ID number or date, or naming a resident who is not in the
importer's region (or not in the registry), is reported with its row number and skipped; the
others are recorded (a resident keeps the earliest day reported). Every import is audited.

Enrollment beside it is :func:`urrbmi.targets.counting.grouped_status` (the one definition of a
resident's state); the activation rate is activated living residents over living residents in
the registry (assumed: the platform counts residents of the area, not only the enrolled).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

import polars as pl
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from urrbmi import clock, ids
from urrbmi.access.scope import Principal, resident_clause
from urrbmi.campaign.fieldwork.kept import living_not_activated_by_village, usable
from urrbmi.campaign.fieldwork.members import (
    Filter,
    MemberPage,
    Rows,
    check_people_page,
    kept_query,
    member_query,
    members_in_order,
    read_prefix,
    to_members,
)
from urrbmi.campaign.payments import parse_day
from urrbmi.db.models import Campaign, Resident
from urrbmi.db.models_fieldwork import CredentialActivation
from urrbmi.errors import InvalidId, InvalidInput
from urrbmi.imports.normalize import header_key
from urrbmi.imports.reader import RawTable, read
from urrbmi.registry import audit
from urrbmi.targets.cohort_reads import locate
from urrbmi.targets.counting import grouped_status, region_names, with_unit

ID_HEADERS = ("身份证号码", "身份证号", "公民身份号码", "证件号码", "证件号", "id_number")
DATE_HEADERS = ("激活日期", "激活时间", "激活日期时间", "电子凭证激活日期", "activated_on")
LOOKUP_BATCH = 900
MAX_BAD_SHOWN = 200


@dataclass
class ActivationImport:
    batch_id: str
    rows: int = 0
    recorded: int = 0  # new activations
    earlier: int = 0  # an earlier day than the one recorded
    unchanged: int = 0
    bad: list[dict[str, Any]] = field(default_factory=list)  # {row, reason}
    bad_total: int = 0


def _columns(table: RawTable) -> tuple[int, int, int]:
    """(index of the header row in ``table.rows``, ID column, date column)."""
    wanted_id = {header_key(h) for h in ID_HEADERS}
    wanted_day = {header_key(h) for h in DATE_HEADERS}
    for i, (_, cells) in enumerate(table.head(10)):
        keys = [header_key(x) for x in cells]
        id_col = next((j for j, k in enumerate(keys) if k in wanted_id), None)
        day_col = next((j for j, k in enumerate(keys) if k in wanted_day), None)
        if id_col is not None and day_col is not None:
            return i, id_col, day_col
    raise InvalidInput(
        "激活名单须有“身份证号码”和“激活日期”两列（前10行内的表头）",
        "the activation list needs an ID number and an activation date column (header in the first 10 rows)",
        code="activation_headers",
    )


def import_activations(
    session: Session, p: Principal, content: bytes, *, file_name: str = "激活名单.csv", actor: str
) -> ActivationImport:
    """Record the activations of a platform list, given as the file's bytes (see the module's
    docstring; ``file_name`` tells the format and names the file in messages)."""
    p.require("activation.import")
    table = read(Path(file_name), content=content)
    head, id_col, day_col = _columns(table)
    out = ActivationImport(uuid.uuid4().hex[:16])
    today = clock.today()
    good: dict[str, tuple[int, dt.date]] = {}

    def bad(row: int, zh: str) -> None:
        # the row number only: the file's ID number is not echoed (an ID outside the region and an
        # unknown one read the same)
        out.bad_total += 1
        if len(out.bad) < MAX_BAD_SHOWN:
            out.bad.append({"row": row, "reason": zh})

    for row_no, cells in table.rows[head + 1 :]:
        out.rows += 1
        raw_id = cells[id_col].strip() if id_col < len(cells) else ""
        raw_day = cells[day_col].strip() if day_col < len(cells) else ""
        try:
            number = ids.validate(raw_id)
        except InvalidId:
            bad(row_no, "身份证号码无效")
            continue
        try:
            day = parse_day(raw_day)
        except ValueError:
            bad(row_no, f"激活日期无效：{raw_day or '（空）'}")
            continue
        if day > today:
            bad(row_no, f"激活日期{day}晚于今天")
            continue
        if number in good and good[number][1] <= day:
            continue
        good[number] = (row_no, day)
    numbers = list(good)
    known: dict[str, int] = {}
    for i in range(0, len(numbers), LOOKUP_BATCH):
        part = numbers[i : i + LOOKUP_BATCH]
        for number, rid in session.execute(
            select(Resident.id_number, Resident.id).where(Resident.id_number.in_(part), resident_clause(p))
        ):
            known[number] = rid
    existing: dict[int, CredentialActivation] = {}
    rids = list(known.values())
    for i in range(0, len(rids), LOOKUP_BATCH):
        for a in session.scalars(
            select(CredentialActivation).where(
                CredentialActivation.resident_id.in_(rids[i : i + LOOKUP_BATCH])
            )
        ):
            existing[a.resident_id] = a
    now = clock.now()
    for number, (row_no, day) in good.items():
        found = known.get(number)
        if found is None:
            bad(row_no, "不在本辖区居民名册中")
            continue
        rid = found
        act = existing.get(rid)
        if act is None:
            session.add(
                CredentialActivation(
                    resident_id=rid,
                    activated_on=day,
                    batch_id=out.batch_id,
                    imported_by=actor,
                    imported_at=now,
                )
            )
            out.recorded += 1
        elif day < act.activated_on:
            act.activated_on, act.batch_id, act.imported_by, act.imported_at = day, out.batch_id, actor, now
            out.earlier += 1
        else:
            out.unchanged += 1
    out.bad.sort(key=lambda b: b["row"])
    audit.record(
        session,
        actor,
        "credential_activations",
        f"batch:{out.batch_id}",
        "import",
        None,
        {
            "file": table.path.name,
            "sha256": table.sha256,
            "rows": out.rows,
            "recorded": out.recorded,
            "earlier": out.earlier,
            "unchanged": out.unchanged,
            "bad": out.bad_total,
            "scope": p.region_prefix,
        },
    )
    return out


@dataclass(frozen=True)
class ActivationRow:
    unit: str  # region code
    name: str
    registry: int  # living residents
    enrolled: int
    activated: int

    @property
    def enrollment_rate(self) -> Decimal | None:
        return _rate(self.enrolled, self.registry)

    @property
    def activation_rate(self) -> Decimal | None:
        return _rate(self.activated, self.registry)


def _rate(n: int, d: int) -> Decimal | None:
    return None if d == 0 else (Decimal(n) / Decimal(d)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def activation_rates(
    session: Session,
    p: Principal,
    c: Campaign,
    *,
    on: dt.date | None = None,
    level: Literal["town", "village"] = "village",
    region: str | None = None,
) -> tuple[list[ActivationRow], ActivationRow | None]:
    """Per town or village of the user's region: living residents, enrolled (resident_state) and
    activated by ``on``; rows by activation rate (lowest first), and the total."""
    p.require("campaign.read")
    on = on or clock.today()
    prefix = read_prefix(session, p, c, region)
    if prefix is None:
        return [], None
    status = grouped_status(session, c.id, on, prefix, ("village",))
    alive = status.filter(pl.col("alive"))
    activated = session.execute(
        select(Resident.region_code, func.count())
        .join(CredentialActivation, CredentialActivation.resident_id == Resident.id)
        .where(
            Resident.region_code.like(f"{prefix}%"),
            Resident.status == "active",
            CredentialActivation.activated_on <= on,
        )
        .group_by(Resident.region_code)
    ).all()
    act = pl.DataFrame(
        {"village": [v for v, _ in activated], "activated": [int(n) for _, n in activated]},
        schema={"village": pl.Utf8, "activated": pl.Int64},
    )
    per_village = (
        alive.group_by("village")
        .agg(
            pl.col("n").sum().alias("registry"),
            pl.col("n").filter(pl.col("enrolled")).sum().alias("enrolled"),
        )
        .join(act, on="village", how="full", coalesce=True)
        .fill_null(0)
        .with_columns(n=pl.lit(1))
    )
    units = (
        with_unit(session, prefix, per_village, level)
        .group_by("unit")
        .agg(pl.col("registry").sum(), pl.col("enrolled").sum(), pl.col("activated").sum())
    )
    names = region_names(session, prefix)
    rows = [
        ActivationRow(u, names.get(u, (u, "", None))[0], int(r), int(e), int(a))
        for u, r, e, a in units.select("unit", "registry", "enrolled", "activated").iter_rows()
        if u is not None
    ]
    rows.sort(key=lambda x: (x.activation_rate if x.activation_rate is not None else Decimal(2), x.unit))
    if not rows:
        return [], None
    total = ActivationRow(
        "合计",
        "合计",
        sum(x.registry for x in rows),
        sum(x.enrolled for x in rows),
        sum(x.activated for x in rows),
    )
    return rows, total


def not_activated(
    session: Session,
    p: Principal,
    c: Campaign,
    *,
    on: dt.date | None = None,
    region: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> MemberPage:
    """Living residents of the user's region who have not activated the 医保电子凭证 by ``on``, by
    village, household (residents without one after the households, by id) and birth date, with
    their enrollment state and phone number: the page ``offset`` … ``offset + limit`` and how many
    there are in all (a county's list is most of its residents).

    The page is found from the state kept as data when it is up to date: the rows of each village
    counted (the living from the cohorts less the living who activated), then only the villages
    the page falls in are read; the page's residents alone are evaluated live."""
    p.require("resident.read")
    on = on or clock.today()
    check_people_page(limit, offset)
    prefix = read_prefix(session, p, c, region)
    if prefix is None:
        return MemberPage(0, offset, limit, ())
    keep = Filter(state="living", activated=False)
    alone = case((Resident.household_id.is_(None), Resident.id))
    if usable(session, c):
        total, villages, before = locate(
            living_not_activated_by_village(session, c, prefix, on), offset, limit
        )
        if not villages:
            return MemberPage(total, offset, limit, ())
        mq = kept_query(session, p, c, prefix, on, keep, [Resident.region_code.in_(villages)]).subquery()
        hh = mq.c.household_id
        order = (mq.c.region_code, hh.is_(None), hh, case((hh.is_(None), mq.c.id)), mq.c.birth_date, mq.c.id)
        q = select(mq.c.id).order_by(*order).offset(offset - before).limit(limit)
        rids = list(session.scalars(q))
        return MemberPage(total, offset, limit, members_in_order(session, p, c, prefix, on, rids))
    # live (a SQLite reader behind another writer): the whole region evaluated, paged in SQL
    lq = member_query(session, p, c, prefix, on, keep=keep).add_columns(func.count().over().label("total"))
    by = (Resident.region_code, Resident.household_id.is_(None), Resident.household_id, alone)
    found = session.execute(
        lq.order_by(*by, Resident.birth_date, Resident.id).offset(offset).limit(limit)
    ).all()
    if found:
        total = int(found[0].total)
    else:
        total = int(session.scalar(select(func.count()).select_from(lq.subquery())) or 0)
    return MemberPage(total, offset, limit, tuple(to_members(p, on, Rows(found))))
