"""Lists that set a resident attribute rather than an identity: 教育 school rosters (student kind,
school, graduation year) and 人社 lists (employee insurance: insured or ended, years paid).

In ``replace`` mode a list is the whole truth for what it covers: a 人社 list for employee
insurance, a school roster for the schools it names; residents in scope who are absent lose the
attribute. Every change keeps the previous version in ``resident_history`` with one audit row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from sqlalchemy import and_, exists, func, or_, select

from urrbmi.db.bulk import bulk_insert
from urrbmi.db.models import AuditLog, Resident, ResidentHistory
from urrbmi.imports.kinds import EMPLOYEE_MEDICAL, words
from urrbmi.imports.staging import Staging, table
from urrbmi.limits import check_removals
from urrbmi.registry import audit
from urrbmi.registry.residents import snapshot


def apply_attributes(stg: Staging) -> None:
    """教育 rosters: the resident is a school student at the named school; 人社 lists: the
    resident is in employee insurance (unless the status says it ended). Only residents whose
    fields change are touched: previous version to ``resident_history``, one audit row each.

    In ``replace`` mode the list is also the whole truth for what it covers, so residents in
    scope who are not on it lose the attribute: a 人社 list covers employee insurance (absent
    → ``employee_insured`` False; the end date is not guessed), a school roster covers the
    schools it names (an absent student of one of them → no longer a school student; students
    of other schools are untouched). Residents whose rows are held for review keep theirs."""
    st = stg.st
    school = stg.batch.source == "jiaoyu"
    if not school:
        _renshe_shared_rows(stg)
    rows = stg.s.execute(
        select(st.c.row_no, st.c.resident_id, st.c.detail, st.c.event_date).where(
            stg.mine(), st.c.status.is_(None)
        )
    ).all()
    years = {} if school else _renshe_years(stg)
    students = _school_rows(stg) if school else {}
    wanted: dict[int, dict[str, Any]] = {}
    row_of: dict[int, int] = {}
    for r in rows:
        if r.resident_id in wanted:
            continue
        if school:
            kind, graduates = students.get(r.row_no, ("school", None))
            wanted[r.resident_id] = {"student": kind, "school_name": r.detail}
            if graduates is not None:
                wanted[r.resident_id]["graduation_year"] = graduates
        else:
            wanted[r.resident_id] = _renshe_fields(stg, r.detail, r.event_date, years.get(r.row_no))
        row_of[r.resident_id] = r.row_no
    changed = _set_attributes(stg, wanted)
    changed_rows = [row_of[i] for i in changed]
    for i in range(0, len(changed_rows), 1000):
        stg.set_status("loaded", st.c.row_no.in_(changed_rows[i : i + 1000]))
    stg.result.population = {"updated": len(changed_rows)}
    if stg.shared:
        stg.result.population["shared"] = stg.shared
    if stg.batch.mode == "replace":
        absent, holders = _absent_attributes(stg, school, {r.detail for r in rows if r.detail})
        check_removals(
            len(absent),
            holders,
            what_zh="在校学生登记" if school else "职工医保参保标记",
            what_en="school enrolments" if school else "employee-insurance flags",
            confirmed=stg.confirm_removals,
        )
        cleared = _set_attributes(stg, absent)
        stg.result.population["cleared"] = len(cleared)


def _school_rows(stg: Staging) -> dict[int, tuple[str, int | None]]:
    """Row → (student kind, graduation year) of a school roster: a 学段 naming higher
    education (大学, 本科, 专科…) is a college student, else a school pupil; 毕业年份 (any text
    with a four-digit year: 2023, 2023年6月, 2023-06-30) is the year they graduate (丰都
    三（三）: graduating college students are covered to 12-31)."""
    frame = stg.checked.frame
    cols = [c for c in ("v.grade", "v.graduation_year") if c in frame.columns]
    if not cols:
        return {}
    grade = pl.col("v.grade") if "v.grade" in frame.columns else pl.lit("")
    college = grade.str.contains("|".join(words().college_words))
    year = (
        pl.col("v.graduation_year").str.extract(r"((?:19|20)[0-9]{2})", 1).cast(pl.Int64, strict=False)
        if "v.graduation_year" in frame.columns
        else pl.lit(None, dtype=pl.Int64)
    )
    got = frame.select("row", college.fill_null(False).alias("c"), year.alias("y"))
    return {
        int(r): ("college" if c else "school", None if y is None else int(y)) for r, c, y in got.iter_rows()
    }


def _renshe_shared_rows(stg: Staging) -> None:
    """Rows of another insurance type than employee medical insurance (城乡居民养老保险…) are
    kept as shared information (``unchanged``, counted as ``shared``): they mark nobody."""
    st = stg.st
    shared = stg.s.scalar(
        select(func.count()).where(stg.mine(), st.c.status.is_(None), st.c.insurance_type != EMPLOYEE_MEDICAL)
    )
    stg.set_status("unchanged", st.c.insurance_type != EMPLOYEE_MEDICAL)
    stg.shared = int(shared or 0)


def _renshe_years(stg: Staging) -> dict[int, int]:
    """Row → whole years of employee insurance (缴费年限; fractions dropped: the notices ask
    for at least N whole years), where the list has the column and the value is a number."""
    frame = stg.checked.frame
    if "v.insurance_years" not in frame.columns:
        return {}
    text_ = pl.col("v.insurance_years").str.replace_all(r"[年\s]", "").cast(pl.Float64, strict=False)
    got = frame.select("row", text_.alias("y")).filter(pl.col("y").is_not_null() & (pl.col("y") >= 0))
    return {int(r): int(y) for r, y in got.iter_rows()}


def _renshe_fields(
    stg: Staging, status: str | None, ended_on: dt.date | None, years: int | None
) -> dict[str, Any]:
    """What an employee-medical-insurance row of a 人社 list says: in it, or ended (the status
    says so, or the end date is on or before the list's date) on the date given."""
    as_of = stg.batch.as_of
    ended = any(w in (status or "") for w in words().employee_insurance_ended) or (
        ended_on is not None and ended_on <= as_of
    )
    out: dict[str, Any] = {"employee_insured": not ended}
    if ended and ended_on is not None:
        out["employee_insurance_ended_on"] = ended_on
    if years is not None:
        out["employee_insurance_years"] = years
    return out


def _absent_attributes(
    stg: Staging, school: bool, schools: set[str]
) -> tuple[dict[int, dict[str, Any]], int]:
    """Residents in scope holding the attribute this list covers but not on it (replace mode),
    and how many in scope hold it."""
    st = stg.st
    res = table(Resident)
    listed = exists().where(
        stg.mine(),
        st.c.resident_id == res.c.id,
        or_(st.c.status.is_(None), st.c.status.in_(("loaded", "unchanged", "conflict"))),
    )
    if school:
        if not schools:  # a roster without school names covers no school
            return {}, 0
        holding = and_(res.c.student.in_(("school", "college")), res.c.school_name.in_(sorted(schools)))
        reset: dict[str, Any] = {"student": None, "school_name": None}
    else:
        # only employee-medical rows say who is insured: a list whose rows are all of other
        # insurance types (pension data shared by 人社, 昌吉 六) covers no employee insurance
        # and clears nobody
        listed = exists().where(
            stg.mine(),
            st.c.resident_id == res.c.id,
            st.c.insurance_type == EMPLOYEE_MEDICAL,
            or_(st.c.status.is_(None), st.c.status.in_(("loaded", "unchanged", "conflict"))),
        )
        covers = stg.s.scalar(select(func.count()).where(stg.mine(), st.c.insurance_type == EMPLOYEE_MEDICAL))
        if not covers and stg.shared:
            return {}, 0
        holding = res.c.employee_insured.is_(True)
        reset = {"employee_insured": False}
    found = stg.s.scalars(
        select(res.c.id).where(
            holding,
            res.c.region_code.like(stg.scope + "%"),
            ~listed,
            *([res.c.id.not_in(sorted(stg.held))] if stg.held else []),
        )
    ).all()
    holders = 0
    if found:
        holders = int(
            stg.s.scalar(
                select(func.count()).select_from(res).where(holding, res.c.region_code.like(stg.scope + "%"))
            )
            or 0
        )
    return {i: dict(reset) for i in found}, holders


def _set_attributes(stg: Staging, wanted: dict[int, dict[str, Any]]) -> list[int]:
    """Set the fields of each resident (id → fields) where they differ, with the previous
    version to ``resident_history`` and one audit row each; the residents changed."""
    res = table(Resident)
    changed: list[int] = []
    history: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    stamp = audit.now()
    ids_ = sorted(wanted)
    for i in range(0, len(ids_), 1000):
        for obj in stg.s.scalars(select(Resident).where(res.c.id.in_(ids_[i : i + 1000]))):
            new = wanted[obj.id]
            if all(getattr(obj, k) == v for k, v in new.items()):
                continue
            old = snapshot(obj)
            history.append(
                {
                    "resident_id": obj.id,
                    "id_number": obj.id_number,
                    "row_version": obj.row_version,
                    "data": old,
                    "valid_from": obj.updated_at,
                    "valid_to": stamp,
                    "changed_by": stg.actor,
                    "reason": f"import batch {stg.bid} ({stg.batch.source})",
                }
            )
            for k, v in new.items():
                setattr(obj, k, v)
            obj.row_version += 1
            obj.updated_at = stamp
            audits.append(
                {
                    "at": stamp,
                    "actor": stg.actor,
                    "table_name": "residents",
                    "row_key": str(obj.id),
                    "action": "update",
                    "old": audit.masked({k: old[k] for k in new}),
                    "new": audit.masked(new),
                }
            )
            changed.append(obj.id)
        stg.s.flush()
    bulk_insert(stg.s, ResidentHistory, history)
    bulk_insert(stg.s, AuditLog, audits)
    return changed
