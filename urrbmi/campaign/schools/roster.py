"""A school's roster for a campaign (学生名册): read from an uploaded file's bytes (any format and
encoding :func:`urrbmi.imports.reader.read` takes) or confirmed from the registry, checked
against the registry and put in ``school_pupils``; pupils become school students and are
re-assessed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urrbmi import clock, ids
from urrbmi.campaign.assess import assess
from urrbmi.campaign.schools.base import LOOKUP_BATCH, check_campaign
from urrbmi.db.models import Campaign, Resident
from urrbmi.db.models_schools import School, SchoolPupil
from urrbmi.errors import InvalidId, InvalidInput
from urrbmi.imports import normalize
from urrbmi.imports.model import Problem
from urrbmi.imports.reader import read
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict
from urrbmi.registry.regions import get_region, prefix
from urrbmi.registry.residents import update_many

# roster columns: field -> header texts (compared after normalize.header_key)
ROSTER_HEADERS: dict[str, tuple[str, ...]] = {
    "id_number": (
        "身份证号码",
        "身份证号",
        "公民身份号码",
        "学生身份证号码",
        "学生身份证号",
        "证件号码",
        "id_number",
    ),
    "name": ("姓名", "学生姓名", "name"),
    "class_name": ("班级", "所在班级", "年级班级", "班级名称", "class"),
}
_ALIASES = {normalize.header_key(h): f for f, hs in ROSTER_HEADERS.items() for h in hs}
HEADER_SCAN = 20


@dataclass(frozen=True, slots=True)
class RosterRow:
    row: int
    id_number: str
    name: str
    class_name: str | None


@dataclass
class RosterResult:
    school_id: int
    campaign_id: int
    rows: int  # data rows in the file
    pupils: int  # on the roster now
    removed: int  # on the previous roster, not on this one
    students_marked: int  # registry rows made school students (re-assessed)
    problems: list[Problem] = field(default_factory=list)


def _header(rows: list[tuple[int, list[str]]]) -> tuple[int, dict[str, int], dict[int, str]]:
    for i, (_n, cells) in enumerate(rows[:HEADER_SCAN]):
        cols: dict[str, int] = {}
        labels: dict[int, str] = {}
        for c, text in enumerate(cells):
            f = _ALIASES.get(normalize.header_key(text))
            if f is not None and f not in cols:
                cols[f], labels[c] = c, text.strip()
        if "id_number" in cols and "name" in cols:
            return i, cols, labels
    raise InvalidInput(
        "学生名册缺少“身份证号码”和“姓名”列（前20行中找不到表头）",
        "the roster has no ID number and name columns (no header in its first 20 rows)",
    )


def read_roster(content: bytes, file_name: str = "roster") -> tuple[list[RosterRow], list[Problem]]:
    """The roster's rows and the problems of the rows that cannot be taken (ID number invalid,
    name empty, the same ID twice)."""
    table = read(Path(file_name), content=content)
    rows = table.rows
    start, cols, labels = _header(rows)
    id_col, name_col, class_col = cols["id_number"], cols["name"], cols.get("class_name")
    out: list[RosterRow] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for n, cells in rows[start + 1 :]:

        def cell(c: int | None, cells: list[str] = cells) -> str:
            return cells[c] if c is not None and c < len(cells) else ""

        raw_id, raw_name = cell(id_col), cell(name_col)
        number = normalize.id_number(raw_id)
        name = normalize.name(raw_name)
        label = labels[id_col]
        if not number:
            problems.append(
                Problem(n, label, raw_id, "id_missing", "身份证号码为空", "the ID number is empty")
            )
            continue
        code = ids.error_code(number)
        if code is not None:
            try:
                ids.validate(number)
                zh, en = "身份证号码无效", "invalid ID number"
            except InvalidId as exc:
                zh, en = exc.zh, exc.en
            problems.append(Problem(n, label, ids.mask_text(raw_id), code, zh, en))
            continue
        if not name:
            problems.append(
                Problem(n, labels[name_col], raw_name, "name_missing", "姓名为空", "the name is empty")
            )
            continue
        if number in seen:
            problems.append(
                Problem(
                    n,
                    label,
                    ids.mask(number),
                    "roster_duplicate",
                    f"与第{seen[number]}行的身份证号码相同",
                    f"the same ID number as row {seen[number]}",
                )
            )
            continue
        seen[number] = n
        klass = normalize.clean(cell(class_col))[:60] or None
        out.append(RosterRow(n, number, name, klass))
    return out, problems


def upload_roster(
    session: Session,
    school: School,
    c: Campaign,
    content: bytes,
    *,
    file_name: str = "roster",
    actor: str,
    on: dt.date | None = None,
    scope: str = "",
) -> RosterResult:
    """Replace the school's roster for the campaign by the file's valid rows (see the module
    docstring); returns the counts and the rows not taken with their reasons. Pupils made school
    students are re-assessed as if paying on ``on`` (default today). ``scope``: the region-code
    prefix of the residents the actor may list (a pupil outside it is "not in the registry")."""
    check_campaign(session, school, c)
    rows, problems = read_roster(content, file_name)
    return _take_rows(session, school, c, rows, problems, source=file_name, actor=actor, on=on, scope=scope)


def confirm_roster(
    session: Session, school: School, c: Campaign, *, actor: str, on: dt.date | None = None, scope: str = ""
) -> RosterResult:
    """The school confirms its pupils as the registry knows them: every resident of the campaign
    (inside ``scope``) registered as a school student of this school's name (``school_name``,
    e.g. from the education department's list) becomes its roster, as an upload would."""
    check_campaign(session, school, c)
    campaign_prefix = prefix(get_region(session, c.region_code))
    found = session.execute(
        select(Resident.id_number, Resident.name)
        .where(
            Resident.school_name == school.name,
            Resident.student.is_not(None),
            Resident.status == "active",
            Resident.region_code.startswith(campaign_prefix, autoescape=True),
            Resident.region_code.startswith(scope, autoescape=True),
        )
        .order_by(Resident.id)
    ).all()
    rows = [
        RosterRow(i, number, normalize.name(name), None) for i, (number, name) in enumerate(found, start=1)
    ]
    return _take_rows(session, school, c, rows, [], source="居民登记册", actor=actor, on=on, scope=scope)


def _take_rows(
    session: Session,
    school: School,
    c: Campaign,
    rows: list[RosterRow],
    problems: list[Problem],
    *,
    source: str,
    actor: str,
    on: dt.date | None,
    scope: str,
) -> RosterResult:
    """Check the rows against the registry and replace the school's roster with those taken."""
    in_file = len(rows) + len(problems)
    campaign_prefix = prefix(get_region(session, c.region_code))
    found: dict[str, Any] = {}
    numbers = [r.id_number for r in rows]
    for i in range(0, len(numbers), LOOKUP_BATCH):
        part = numbers[i : i + LOOKUP_BATCH]
        for hit in session.execute(
            select(
                Resident.id,
                Resident.id_number,
                Resident.name,
                Resident.region_code,
                Resident.student,
                Resident.school_name,
            ).where(Resident.id_number.in_(part))
        ):
            found[hit.id_number] = hit
    others: dict[int, str] = {}
    if found:
        ids_ = [r.id for r in found.values()]
        for i in range(0, len(ids_), LOOKUP_BATCH):
            for rid, other, where in session.execute(
                select(SchoolPupil.resident_id, School.name, School.region_code)
                .join(School, School.id == SchoolPupil.school_id)
                .where(
                    SchoolPupil.campaign_id == c.id,
                    SchoolPupil.school_id != school.id,
                    SchoolPupil.resident_id.in_(ids_[i : i + LOOKUP_BATCH]),
                )
            ):
                others[rid] = f"“{other}”" if where.startswith(scope) else "另一所学校"
    keep: list[tuple[RosterRow, Any]] = []
    id_label = "身份证号码"
    for r in rows:
        rec = found.get(r.id_number)
        shown = ids.mask(r.id_number)
        if (
            rec is None
            or not rec.region_code.startswith(campaign_prefix)
            or not rec.region_code.startswith(scope)
        ):
            # one answer for "no such person" and "not yours to list": nothing told about others
            problems.append(
                Problem(
                    r.row, id_label, shown, "pupil_unknown",
                    "本征缴批次（您的管辖范围内）的居民登记册中没有此人，请先登记居民后再上传",
                    "not in the campaign's resident registry (in your scope): register the pupil first",
                )
            )  # fmt: skip
        elif normalize.name(rec.name) != r.name:
            problems.append(
                Problem(
                    r.row, "姓名", r.name, "name_mismatch",
                    "姓名与居民登记册不符", "the name differs from the resident registry",
                )
            )  # fmt: skip
        elif rec.id in others:
            problems.append(
                Problem(
                    r.row, id_label, shown, "pupil_other_school",
                    f"已在{others[rec.id]}的学生名册中（一名学生只能在一所学校的名册中）",
                    "already on another school's roster for this campaign",
                )
            )  # fmt: skip
        else:
            keep.append((r, rec))
    problems.sort(key=lambda p: p.row)
    if not keep:
        shown = "；".join(f"第{p.row}行{p.zh}" for p in problems[:10])
        raise InvalidInput(
            f"名册中没有可登记的学生，名册未更改：{shown or '文件没有数据行'}",
            f"no row of the roster could be taken; the roster is unchanged ({len(problems)} problem rows)",
        )
    before = set(
        session.scalars(
            select(SchoolPupil.resident_id).where(
                SchoolPupil.school_id == school.id, SchoolPupil.campaign_id == c.id
            )
        )
    )
    session.execute(
        delete(SchoolPupil).where(SchoolPupil.school_id == school.id, SchoolPupil.campaign_id == c.id)
    )
    stamp = audit.now()
    session.add_all(
        SchoolPupil(
            school_id=school.id,
            campaign_id=c.id,
            resident_id=rec.id,
            class_name=r.class_name,
            row_no=r.row,
            added_at=stamp,
            added_by=actor,
        )
        for r, rec in keep
    )
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # another school's upload took a pupil at the same time
        raise Conflict(
            "名册中有学生刚被另一所学校的名册登记，请重新上传",
            "a pupil was just put on another school's roster; upload again",
        ) from None
    changes = {
        rec.id: {"student": rec.student or "school", "school_name": school.name}
        for _, rec in keep
        if rec.student is None or rec.school_name != school.name
    }
    update_many(session, changes, actor=actor, reason=f"学校学生名册：{school.name}")
    marked = list(changes)
    if marked:
        assess(session, c, on or clock.today(), actor=actor, residents=marked)
    result = RosterResult(
        school_id=school.id,
        campaign_id=c.id,
        rows=in_file,
        pupils=len(keep),
        removed=len(before - {rec.id for _, rec in keep}),
        students_marked=len(marked),
        problems=problems,
    )
    audit.record(
        session,
        actor,
        "school_pupils",
        f"school:{school.id}",
        "upload",
        None,
        {
            "campaign": c.id,
            "file": source,
            "pupils": result.pupils,
            "removed": result.removed,
            "students_marked": result.students_marked,
            "problems": len(problems),
        },
    )
    return result
