"""Schools as payers (学校代缴, issue 14 item 4).

泰兴 四（一）2: "在校学生全部由所在学校代为统一办理参保登记和缴费"; 泰兴 二: "在校学生以学校为单位,参保率达
100%"; 濉溪 八（二）: the education department "督促指导在校学生参保缴费工作 … 做好参保数据统计上报工作"
(pupils there mostly pay with their parents online; the school reports the count).

1. :func:`register_school`: a school stands in a region (town or village); officers whose scope
   covers that region act for it.
2. :func:`upload_roster`: the school's roster file (CSV/XLSX/XLS/HTML table, any encoding: read
   by :func:`urrbmi.imports.reader.read`) with ID number, name and class. Rows that cannot be
   taken are reported bilingually (:class:`urrbmi.imports.model.Problem`, as department lists);
   the others replace the school's roster for the campaign. A pupil on a roster is a school
   student in the registry (``residents.student``/``school_name``, with history) and is
   re-assessed, so the price is a student's (泰兴 三.2: 200元, and the students' window from
   September 1).
3. :func:`statement`: every pupil priced at the payment date by the campaign's engine
   (:class:`urrbmi.campaign.campaigns.Pricer` over the pupil's assessment, as the payment
   pipeline prices), pupils already enrolled (paid at home, subsidised) shown and not due, and the
   total; :func:`write_statement` exports it (:mod:`urrbmi.export`).
4. :func:`pay_school`: the school pays one amount; a total that is not the statement's is refused
   with the amount due, nothing written. Otherwise one payment line per pupil goes through the
   ledger's pipeline (:func:`urrbmi.campaign.payments.apply_payments_raced`): each pupil gets a
   receipt, an enrollment and a benefit period. :func:`pay_school_file`: a channel's file for the
   school's pupils (wrong amounts stay in the held queue, as every channel file).
5. :func:`school_progress`: per school, pupils on the roster and enrolled, counted through
   :func:`urrbmi.targets.counting.resident_state` (the one definition of enrolled).

Every function takes ``scope`` (a region-code prefix, "" = all): a school outside it is "not
found". Every write is audited (``schools``, ``school_pupils``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from urrbmi import clock, ids, money
from urrbmi.campaign.assess import assess
from urrbmi.campaign.campaigns import (
    EXCLUSION_ZH,
    Pricer,
    campaign_policy,
    profile,
    profile_columns,
)
from urrbmi.campaign.payments import (
    PaymentLine,
    PaymentSummary,
    apply_payments,
    apply_payments_raced,
    check_counter_payment,
    parse_amount,
)
from urrbmi.db.models import CHANNELS, Assessment, Campaign, Payment, Receipt, Region, Resident
from urrbmi.db.models_schools import School, SchoolPupil
from urrbmi.errors import InvalidId, InvalidInput
from urrbmi.export import Book, write_csv
from urrbmi.imports import normalize
from urrbmi.imports.model import Problem
from urrbmi.imports.reader import read
from urrbmi.money import from_fen
from urrbmi.registry import audit
from urrbmi.registry.errors import AmountMismatch, Conflict, NotFound
from urrbmi.registry.regions import get_region, prefix
from urrbmi.registry.residents import update_many
from urrbmi.targets.counting import policy_rate, resident_state

LOOKUP_BATCH = 900
REF_MAX = 40  # the school's reference; each pupil's line is "<ref>#<roster row id>" (payments: 64)

__all__ = [
    "RosterResult",
    "SchoolPaid",
    "SchoolProgress",
    "Statement",
    "StatementLine",
    "confirm_roster",
    "get_school",
    "list_schools",
    "pay_school",
    "pay_school_file",
    "read_roster",
    "register_school",
    "school_progress",
    "statement",
    "upload_roster",
    "write_statement",
]

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

STATUS_ZH = {
    "due": "应缴",
    "enrolled": "已参保",
    "excluded": "不需缴费",
    "not_assessed": "未核定应缴",
    "error": "无法核定",
}


# --- schools ------------------------------------------------------------------------------------


def register_school(
    session: Session, *, name: str, region_code: str, code: str | None = None, actor: str, scope: str = ""
) -> School:
    """A school in ``region_code`` (inside ``scope``); a second school of the same name in the
    same region is refused."""
    name = normalize.clean(name)
    if not name or len(name) > 200:
        raise InvalidInput(
            "学校名称为空或超过200个字符", "the school's name is empty or longer than 200 characters"
        )
    if code is not None and (not code.strip() or len(code.strip()) > 20):
        raise InvalidInput(
            "学校标识码为空或超过20个字符", "the school code is empty or longer than 20 characters"
        )
    region = get_region(session, region_code)
    if not region.code.startswith(scope):
        raise NotFound(f"找不到区划{region_code}", f"no region {region_code}")
    school = School(
        region_code=region.code,
        name=name,
        code=None if code is None else code.strip(),
        created_at=audit.now(),
        created_by=actor,
    )
    try:
        with session.begin_nested():
            session.add(school)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"{region.name}已登记学校“{name}”",
            f"a school of that name is already registered in {region.code}",
        ) from None
    audit.record(
        session,
        actor,
        "schools",
        school.id,
        "insert",
        None,
        {"name": name, "region": region.code, "code": code},
    )
    return school


def get_school(session: Session, school_id: int, *, scope: str = "") -> School:
    school = session.get(School, school_id)
    if school is None or not school.region_code.startswith(scope):
        raise NotFound(f"找不到学校{school_id}", f"no school {school_id}")
    return school


def list_schools(session: Session, *, scope: str = "") -> list[School]:
    return list(
        session.scalars(
            select(School).where(School.region_code.startswith(scope, autoescape=True)).order_by(School.id)
        )
    )


def _check_campaign(session: Session, school: School, c: Campaign) -> None:
    """The campaign must cover the school's region (its pupils are the campaign's residents)."""
    if not school.region_code.startswith(prefix(get_region(session, c.region_code))):
        raise InvalidInput(
            f"学校“{school.name}”不在征缴批次{c.id}的范围内",
            f"school {school.id} is outside campaign {c.id}'s region",
        )


# --- the roster ---------------------------------------------------------------------------------


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
    _check_campaign(session, school, c)
    rows, problems = read_roster(content, file_name)
    return _take_rows(session, school, c, rows, problems, source=file_name, actor=actor, on=on, scope=scope)


def confirm_roster(
    session: Session, school: School, c: Campaign, *, actor: str, on: dt.date | None = None, scope: str = ""
) -> RosterResult:
    """The school confirms its pupils as the registry knows them: every resident of the campaign
    (inside ``scope``) registered as a school student of this school's name (``school_name``,
    e.g. from the education department's list) becomes its roster, as an upload would."""
    _check_campaign(session, school, c)
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


# --- the statement ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementLine:
    pupil_id: int  # school_pupils.id
    resident_id: int
    id_number: str  # full: callers mask it for display
    name: str
    class_name: str | None
    status: str  # due | enrolled | excluded | not_assessed | error (STATUS_ZH)
    reason_zh: str | None  # why not due (excluded, error)
    due_fen: int | None
    benefit_start: dt.date | None
    benefit_end: dt.date | None

    @property
    def status_zh(self) -> str:
        return STATUS_ZH[self.status]


@dataclass(frozen=True)
class Statement:
    school_id: int
    school_name: str
    campaign_id: int
    on: dt.date
    lines: list[StatementLine]

    @property
    def due(self) -> list[StatementLine]:
        return [x for x in self.lines if x.status == "due"]

    @property
    def total_fen(self) -> int:
        return sum(x.due_fen or 0 for x in self.due)

    @property
    def enrolled(self) -> int:
        return sum(1 for x in self.lines if x.status == "enrolled")


def _pupils_prefix(session: Session, c: Campaign, school_ids: Sequence[int] | Any) -> str:
    """The longest region-code prefix shared by the pupils of these schools' rosters (at least the
    campaign's): :func:`resident_state` then reads one town, not the whole county."""
    own = prefix(get_region(session, c.region_code))
    codes = list(
        session.scalars(
            select(Resident.region_code)
            .join(SchoolPupil, SchoolPupil.resident_id == Resident.id)
            .where(SchoolPupil.campaign_id == c.id, SchoolPupil.school_id.in_(school_ids))
            .distinct()
        )
    )
    common = codes[0] if codes else own
    for code in codes[1:]:
        while not code.startswith(common):
            common = common[:-1]
    return common if common.startswith(own) else own


def statement(session: Session, school: School, c: Campaign, on: dt.date) -> Statement:
    """Every pupil of the school's roster for the campaign, priced as if paying on ``on``."""
    _check_campaign(session, school, c)
    pupils = session.execute(
        select(
            SchoolPupil.id, SchoolPupil.resident_id, SchoolPupil.class_name, Resident.id_number, Resident.name
        )
        .join(Resident, Resident.id == SchoolPupil.resident_id)
        .where(SchoolPupil.school_id == school.id, SchoolPupil.campaign_id == c.id)
        .order_by(SchoolPupil.class_name, SchoolPupil.row_no)
    ).all()
    rids = [p.resident_id for p in pupils]
    state = resident_state(
        session, c, _pupils_prefix(session, c, [school.id]), on, columns=["rid", "enrolled"]
    )
    enrolled = set(
        session.scalars(
            select(state.c.rid)
            .join(SchoolPupil, SchoolPupil.resident_id == state.c.rid)
            .where(SchoolPupil.school_id == school.id, SchoolPupil.campaign_id == c.id, state.c.enrolled == 1)
        )
    )
    facts: dict[int, Any] = {}
    cols = profile_columns(c.benefit_year, c.id)
    for i in range(0, len(rids), LOOKUP_BATCH):
        part = rids[i : i + LOOKUP_BATCH]
        for rec in session.execute(
            select(
                *cols,
                Assessment.status.label("a_status"),
                Assessment.reason.label("a_reason"),
                Assessment.categories.label("a_categories"),
                Assessment.tier.label("a_tier"),
            )
            .outerjoin(Assessment, (Assessment.resident_id == Resident.id) & (Assessment.campaign_id == c.id))
            .where(Resident.id.in_(part))
        ):
            facts[rec.id] = rec
    pricer = Pricer(campaign_policy(c))
    lines = []
    for p in pupils:
        rec = facts[p.resident_id]
        status, why, due, start, end = "due", None, None, None, None
        if p.resident_id in enrolled:
            status = "enrolled"
        elif rec.a_status is None:
            status = "not_assessed"
        elif rec.a_status == "excluded":
            status, why = "excluded", EXCLUSION_ZH.get(rec.a_reason, "不在征缴范围")
        elif rec.a_status != "due":
            status, why = "error", "按政策无法核定应缴，请经办人员核查"
        else:
            codes = tuple(x for x in rec.a_categories.split(",") if x)
            pr = pricer.price(profile(rec, codes, rec.a_tier, on))
            if pr.error_code is not None or pr.total_due_fen is None:
                status, why = "error", f"按缴费日期{on}无法核定应缴（{(pr.message or '').split(' / ')[0]}）"
            else:
                due, start, end = pr.total_due_fen, pr.benefit_start, pr.benefit_end
        lines.append(
            StatementLine(
                p.id, p.resident_id, p.id_number, p.name, p.class_name, status, why, due, start, end
            )
        )
    return Statement(school.id, school.name, c.id, on, lines)


STATEMENT_HEADER = ("序号", "班级", "姓名", "身份证号码", "应缴金额（元）", "状态", "说明", "待遇享受期")


def statement_rows(st: Statement, *, full_ids: bool) -> list[list[object]]:
    """The statement as rows (amounts in yuan as Decimal), ending with the total row."""
    out: list[list[object]] = []
    for i, x in enumerate(st.lines, start=1):
        period = f"{x.benefit_start}至{x.benefit_end}" if x.benefit_start else ""
        out.append(
            [
                i,
                x.class_name or "",
                x.name,
                x.id_number if full_ids else ids.mask(x.id_number),
                None if x.due_fen is None else from_fen(x.due_fen),
                x.status_zh,
                x.reason_zh or "",
                period,
            ]
        )
    out.append(
        ["合计", "", f"应缴{len(st.due)}人", "", from_fen(st.total_fen), f"已参保{st.enrolled}人", "", ""]
    )
    return out


def write_statement(st: Statement, path: Path, *, full_ids: bool, fmt: str = "xlsx") -> Path:
    """The school's statement as an XLSX (title, one row per pupil, the total) or CSV file."""
    rows = statement_rows(st, full_ids=full_ids)
    if fmt == "csv":
        write_csv(path, STATEMENT_HEADER, rows)
        return path
    book = Book()
    sheet = book.sheet("缴费清单")
    sheet.append([f"{st.school_name} 学生参保缴费清单（按缴费日期{st.on}核定）"])
    sheet.append(list(STATEMENT_HEADER))
    for r in rows:
        sheet.append(r)
    return book.save(path)


# --- paying -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PupilReceipt:
    pupil_id: int
    id_number: str  # full: callers mask it
    name: str
    amount_fen: int
    status: str  # the payment's status (accepted: with a receipt and an enrollment)
    receipt_no: int | None


@dataclass
class SchoolPaid:
    school_id: int
    campaign_id: int
    channel: str
    external_ref: str
    amount_fen: int
    paid_on: dt.date
    replayed: bool
    receipts: list[PupilReceipt]

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.receipts if r.status == "accepted")

    @property
    def held(self) -> int:
        return sum(1 for r in self.receipts if r.status != "accepted")


def _receipts(session: Session, c: Campaign, channel: str, refs: Sequence[str]) -> list[PupilReceipt]:
    out = []
    for i in range(0, len(refs), LOOKUP_BATCH):
        rows = session.execute(
            select(
                Payment.external_ref,
                Payment.id_number,
                Resident.name,
                Payment.amount_fen,
                Payment.status,
                Receipt.receipt_no,
            )
            .outerjoin(Resident, Resident.id == Payment.resident_id)
            .outerjoin(Receipt, Receipt.payment_id == Payment.id)
            .where(
                Payment.campaign_id == c.id,
                Payment.channel == channel,
                Payment.external_ref.in_(refs[i : i + LOOKUP_BATCH]),
            )
        ).all()
        for ref, number, name, fen, status, rno in rows:
            out.append(PupilReceipt(int(ref.rsplit("#", 1)[1]), number, name or "", fen, status, rno))
    return sorted(out, key=lambda r: r.pupil_id)


def _check_ref(channel: str, external_ref: str) -> str:
    ref = external_ref.strip()
    if channel not in CHANNELS:
        raise InvalidInput(
            f"未知的缴费渠道{channel}；可用：{'、'.join(CHANNELS)}",
            f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}",
        )
    if not ref or len(ref) > REF_MAX or "#" in ref:
        raise InvalidInput(
            f"交易流水号应为1至{REF_MAX}个字符且不含“#”：{ref!r}",
            f"the reference must be 1 to {REF_MAX} characters without '#': {ref!r}",
        )
    return ref


def pay_school(
    session: Session,
    school: School,
    c: Campaign,
    *,
    amount: Decimal,
    channel: str,
    external_ref: str,
    paid_on: dt.date,
    actor: str,
    may_backdate: bool = False,
) -> SchoolPaid:
    """The school pays one amount for every pupil due on its statement at ``paid_on``.

    Refused before anything is written when the amount is not the statement's total (the error
    says the amount due and for how many pupils), when no pupil is due, or when ``paid_on`` is
    after today or backdated beyond the window without ``may_backdate`` (as a counter payment).
    Repeating a recorded (channel, reference) with the same amount gives the same receipts."""
    amount = money.yuan(amount)  # a float is refused: not exact
    ref = _check_ref(channel, external_ref)
    try:
        fen = parse_amount(str(amount))
    except ValueError as exc:
        raise InvalidInput(str(exc), f"invalid amount: {amount}") from None
    _check_campaign(session, school, c)
    earlier = session.execute(
        select(Payment.external_ref, Payment.amount_fen, Payment.campaign_id).where(
            Payment.channel == channel, Payment.external_ref.startswith(ref + "#", autoescape=True)
        )
    ).all()
    if earlier:
        mine = set(
            session.scalars(
                select(SchoolPupil.id).where(
                    SchoolPupil.school_id == school.id, SchoolPupil.campaign_id == c.id
                )
            )
        )
        if any(int(r.rsplit("#", 1)[1]) not in mine for r, *_ in earlier):
            raise Conflict(
                f"交易流水号{ref}已用于另一所学校的缴费，未入账",
                f"reference {ref} was already used for another school's payment; nothing was recorded",
            )
        if sum(a for _, a, _ in earlier) != fen or any(cid != c.id for *_, cid in earlier):
            raise Conflict(
                f"交易流水号{ref}已按不同金额入账（{from_fen(sum(a for _, a, _ in earlier))}元），未入账",
                f"reference {ref} was already recorded with a different amount; nothing was recorded",
            )
        return SchoolPaid(
            school.id,
            c.id,
            channel,
            ref,
            fen,
            paid_on,
            True,
            _receipts(session, c, channel, [r for r, *_ in earlier]),
        )
    st = statement(session, school, c, paid_on)
    due = st.due
    if not due:
        raise Conflict(
            f"“{school.name}”名册中没有按{paid_on}应缴费的学生（已参保{st.enrolled}人），未入账",
            f"no pupil of the school's roster is due on {paid_on}; nothing was recorded",
        )
    lines = [
        PaymentLine(
            line_no=i,
            external_ref=f"{ref}#{x.pupil_id}",
            id_number=x.id_number,
            amount_fen=x.due_fen or 0,
            paid_on=paid_on,
        )
        for i, x in enumerate(due, start=1)
    ]
    # the date guards of a counter payment (not after today, the backdating window), read only;
    # the first pupil's line is also priced by the pipeline's own check (it must agree)
    check_counter_payment(session, c, lines[0], may_backdate)
    if fen != st.total_fen:
        total, given = from_fen(st.total_fen), from_fen(fen)
        raise AmountMismatch(
            f"金额与应缴不符：“{school.name}”{len(due)}名学生按缴费日期{paid_on}应缴合计{total}元，"
            f"缴入的是{given}元；未入账，请按应缴合计{total}元缴费",
            f"the amount {given} yuan is not the amount due: {total} yuan for {len(due)} pupils paying "
            f"on {paid_on}; nothing was recorded",
        )
    summary = apply_payments_raced(session, c, channel, lines, actor=actor)
    result = SchoolPaid(
        school.id,
        c.id,
        channel,
        ref,
        fen,
        paid_on,
        False,
        _receipts(session, c, channel, [x.external_ref for x in lines]),
    )
    audit.record(
        session,
        actor,
        "schools",
        school.id,
        "pay",
        None,
        {
            "campaign": c.id,
            "channel": channel,
            "external_ref": ref,
            "amount_fen": fen,
            "paid_on": paid_on.isoformat(),
            "pupils": len(lines),
            "accepted": result.accepted,
            "held": result.held,
            "batch": summary.batch_id,
        },
    )
    return result


def pay_school_file(
    session: Session, school: School, c: Campaign, lines: Sequence[PaymentLine], *, channel: str, actor: str
) -> PaymentSummary:
    """A channel's file of the school's payments (one line per pupil): every ID number must be
    on the school's roster (else the file is refused, naming the lines); then the ledger's
    pipeline as any channel file (a wrong amount is held for review)."""
    _check_campaign(session, school, c)
    roster = set(
        session.scalars(
            select(Resident.id_number)
            .join(SchoolPupil, SchoolPupil.resident_id == Resident.id)
            .where(SchoolPupil.school_id == school.id, SchoolPupil.campaign_id == c.id)
        )
    )
    strangers = [ln for ln in lines if ln.id_number not in roster]
    if strangers:
        shown = "；".join(f"第{ln.line_no}行{ids.mask(ln.id_number)}" for ln in strangers[:20])
        raise InvalidInput(
            f"缴费文件有{len(strangers)}行不是“{school.name}”名册中的学生，整个文件未导入：{shown}",
            f"{len(strangers)} line(s) name no pupil of the school's roster; nothing was imported",
        )
    summary = apply_payments(session, c, channel, lines, actor=actor)
    audit.record(
        session,
        actor,
        "schools",
        school.id,
        "pay_file",
        None,
        {"campaign": c.id, "channel": channel, "lines": len(lines)} | summary.as_dict(),
    )
    return summary


# --- progress by school -------------------------------------------------------------------------


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
    state = resident_state(session, c, _pupils_prefix(session, c, in_scope), on, columns=["rid", "enrolled"])
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
