"""A county's own task tables (issue 18 item 3): load, check, version and replace a task table by
town or village from Excel or CSV (丰都 附件1 by village; 黔江 splitting its town tasks to villages),
with an error report like the department lists' (same sheets and headers), and no package edit.

The file is read by :func:`urrbmi.imports.reader.read` (XLSX, XLS, HTML-as-XLS, CSV in any
encoding). Its header row is found among the first ten rows by the column names below. Every row
is checked; one problem refuses the whole file (nothing is stored) and the report lists them all.
A stored table is a ``target_sets`` row (method ``fixed``) with its ``target_units``; every upload
is kept in ``task_table_versions`` with the file's bytes, and a replacement marks the previous
version ``replaced`` (its reductions go with it, as ``load_task_table(replace=True)``).
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urrbmi.clock import now
from urrbmi.db.models import Region
from urrbmi.db.models_progress import TaskTableVersion
from urrbmi.db.models_targets import TargetSet, TargetUnit
from urrbmi.errors import InvalidInput
from urrbmi.export import Book
from urrbmi.imports.normalize import header_key
from urrbmi.imports.reader import read
from urrbmi.imports.report import ERROR_HEADERS, SUMMARY_HEADERS
from urrbmi.registry.audit import record
from urrbmi.targets.counting import Level
from urrbmi.targets.store import campaign_or_fail, region_prefix, stored_tasks
from urrbmi.targets.tables import TaskTableError, parse_rate

# header words per field (folded by ``header_key``: half-width, no spaces, ASCII brackets)
HEADERS: dict[str, tuple[str, ...]] = {
    "seq": ("序号",),
    "town": (
        "乡镇",
        "乡镇(街道)",
        "乡镇街道",
        "镇(街道)",
        "所属乡镇",
        "所属乡镇(街道)",
        "镇(园区)",
        "乡(镇)",
        "镇",
    ),
    "village": ("村(社区)", "村(居)", "村居", "行政村", "村", "社区", "村(社区)名称", "所属村(社区)"),
    "unit": ("单位", "单位名称", "地区", "区域"),
    "base": ("户籍人口", "户籍人数", "户籍人口数", "基数", "人口基数", "应参保人数"),
    "task": ("参保任务数", "任务数", "参保任务", "任务", "目标任务数", "下达任务数", "2022年参保任务数"),
}
TOTAL_NAMES = ("合计", "总计", "小计")
UNIT_LEVEL_ZH = {"town": "乡镇（街道）", "village": "村（社区）"}


class TaskUploadError(InvalidInput):
    """A task table file with problems: nothing was stored; ``upload.problems`` lists them."""

    code = "task_upload"
    http_status = 422

    def __init__(self, upload: TaskUpload) -> None:
        n = len(upload.problems)
        first = "；".join(f"第{p.row}行{p.column}：{p.zh}" for p in upload.problems[:3])
        super().__init__(
            f"任务表有{n}处错误，未载入（{first}{'……' if n > 3 else ''}）",
            f"the task table has {n} problem(s); nothing was loaded",
        )
        self.upload = upload


class VersionNotFound(InvalidInput):
    code = "task_version_not_found"
    http_status = 404


@dataclass(frozen=True)
class UploadProblem:
    row: int  # as in the file (0: the whole table)
    column: str
    value: str
    zh: str
    code: str
    en: str


@dataclass(frozen=True)
class UploadUnit:
    row: int
    seq: int
    name: str
    region_code: str
    base: int | None
    task: int


@dataclass
class TaskUpload:
    file_name: str
    sha256: str
    content: bytes
    level: Level
    units: list[UploadUnit] = field(default_factory=list)
    problems: list[UploadProblem] = field(default_factory=list)
    data_rows: int = 0

    @property
    def total(self) -> int:
        return sum(u.task for u in self.units)


def _columns(cells: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    folded = {fld: {header_key(w) for w in words} for fld, words in HEADERS.items()}
    for i, cell in enumerate(cells):
        key = header_key(cell)
        for fld, words in folded.items():
            if key in words and fld not in out:
                out[fld] = i
                break
    return out


def _int(text: str) -> int | None:
    t = text.replace(",", "").replace("，", "").strip()
    if t.endswith(".0"):
        t = t[:-2]
    return int(t) if t.isdigit() else None


def check_task_file(
    session: Session, campaign_id: int, content: bytes, file_name: str, *, level: Level
) -> TaskUpload:
    """Read and check a task table file for the campaign at ``level`` (town or village); stores
    nothing. Checks: a header with the unit and task columns; every unit a region of that level
    in the campaign's region (with the town when the file names it; close names suggested); no
    unit twice; tasks whole numbers ≥ 0, not above a base given; a printed total equal to the sum;
    village tasks adding up to their town's task when a town table is loaded (黔江: 分解到村)."""
    if level not in ("town", "village"):
        raise InvalidInput("任务表须按乡镇或村（社区）下达", "a task table is per town or per village")
    c = campaign_or_fail(session, campaign_id)
    raw = read(Path(file_name), content=content)
    up = TaskUpload(file_name, hashlib.sha256(content).hexdigest(), content, level)

    def bad(row: int, column: str, value: str, zh: str, code: str, en: str) -> None:
        up.problems.append(UploadProblem(row, column, value, zh, code, en))

    head = raw.head(10)
    found = [(i, n, _columns(cells)) for i, (n, cells) in enumerate(head)]
    unit_field = "village" if level == "village" else "town"
    hit = next(
        ((i, n, cols) for i, n, cols in found if "task" in cols and (unit_field in cols or "unit" in cols)),
        None,
    )
    if hit is None:
        want = f"“{UNIT_LEVEL_ZH[level]}”（或“单位”）和“参保任务数”"
        bad(0, "表头", "", f"前10行中找不到{want}列", "no_header", "no header with the unit and task columns")
        return up
    start, _, cols = hit
    unit_col = cols.get(unit_field, cols.get("unit"))
    assert unit_col is not None
    labels = {i: cells for i, (_, cells) in enumerate(head)}[start]
    prefix = region_prefix(session, c.region_code)
    regions = session.execute(
        select(Region.code, Region.name, Region.level, Region.parent_code).where(
            Region.code.like(f"{prefix}%")
        )
    ).all()
    town_names = {code: name.strip() for code, name, lv, _ in regions if lv == "town"}
    candidates: dict[str, list[tuple[str, str | None]]] = {}
    for code, name, lv, parent in regions:
        if lv == level:
            candidates.setdefault(name.strip(), []).append((code, parent))
    seen: dict[str, int] = {}
    stated_total: tuple[int, int | None] | None = None
    rows = raw.rows[start + 1 :]
    for n, cells in rows:

        def cell(fld: str, cells: list[str] = cells) -> str:
            i = cols.get(fld)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        name = cells[unit_col].strip() if unit_col < len(cells) else ""
        town = cell("town") if level == "village" else ""
        if any(x.strip().replace(" ", "") in TOTAL_NAMES for x in cells):
            stated_total = (n, _int(cell("task")))
            continue
        up.data_rows += 1
        col_zh = labels[unit_col] if unit_col < len(labels) else UNIT_LEVEL_ZH[level]
        if not name:
            bad(n, col_zh, "", "缺少单位名称", "missing_unit", "no unit name")
            continue
        options = candidates.get(name, [])
        if town and options:
            options = [o for o in options if o[1] is not None and town_names.get(o[1]) == town]
            if not options:
                bad(
                    n,
                    col_zh,
                    name,
                    f"{town}没有名为“{name}”的村（社区）",
                    "wrong_town",
                    f"no {name} in {town}",
                )
                continue
        if not options:
            near = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.5)
            hint = f"；是否指：{'、'.join(near)}" if near else ""
            bad(
                n, col_zh, name, f"区划中没有名为“{name}”的{UNIT_LEVEL_ZH[level]}{hint}", "unknown_unit",
                f"no {level} named {name} in region {c.region_code}",
            )  # fmt: skip
            continue
        if len(options) > 1:
            bad(
                n, col_zh, name, f"有{len(options)}个同名的{UNIT_LEVEL_ZH[level]}，请加“乡镇”列区分",
                "ambiguous_unit", f"{len(options)} units named {name}: add a town column",
            )  # fmt: skip
            continue
        code = options[0][0]
        if code in seen:
            bad(
                n, col_zh, name, f"与第{seen[code]}行重复", "duplicate_unit", f"same unit as row {seen[code]}"
            )
            continue
        seen[code] = n
        task_text = cell("task")
        task = _int(task_text)
        if task is None:
            bad(
                n,
                "参保任务数",
                task_text,
                "任务数须为不小于0的整数",
                "bad_task",
                "the task must be a whole number ≥ 0",
            )
            continue
        base: int | None = None
        base_text = cell("base")
        if base_text:
            base = _int(base_text)
            if base is None or base <= 0:
                bad(
                    n,
                    "户籍人口",
                    base_text,
                    "基数须为正整数",
                    "bad_base",
                    "the base must be a positive whole number",
                )
                continue
            if task > base:
                bad(
                    n,
                    "参保任务数",
                    task_text,
                    f"任务数大于基数{base}",
                    "task_above_base",
                    f"task above base {base}",
                )
                continue
        seq = _int(cell("seq")) or len(up.units) + 1
        up.units.append(UploadUnit(n, seq, name, code, base, task))
    if not up.units and not up.problems:
        bad(0, "表头", "", "表中没有任务数据", "empty", "the table has no rows")
    if stated_total is not None and not up.problems:
        row, value = stated_total
        if value != up.total:
            bad(
                row, "参保任务数", str(value or ""), f"合计{value}与各单位之和{up.total}不符",
                "total_mismatch", f"stated total {value} is not the sum {up.total}",
            )  # fmt: skip
    if level == "village" and not up.problems:
        _check_split(session, c.id, up, regions, town_names)
    return up


def _check_split(
    session: Session,
    campaign_id: int,
    up: TaskUpload,
    regions: Sequence[Any],
    town_names: dict[str, str],
) -> None:
    """黔江 四: town tasks split to villages must add up to the town's task (when a town table is
    loaded: the first loaded per town, as progress uses)."""
    ts = session.scalars(
        select(TargetSet)
        .where(TargetSet.campaign_id == campaign_id, TargetSet.unit == "town")
        .order_by(TargetSet.id)
    ).first()
    if ts is None:
        return
    parent = {code: p for code, _n, _l, p in regions}
    sums: dict[str, int] = {}
    for u in up.units:
        town = parent.get(u.region_code)
        if town is not None:
            sums[town] = sums.get(town, 0) + u.task
    for t in stored_tasks(session, ts):
        if t.region_code in sums and sums[t.region_code] != t.task:
            name = town_names.get(t.region_code, t.unit_name)
            up.problems.append(
                UploadProblem(
                    0, "参保任务数", str(sums[t.region_code]),
                    f"{name}所属村（社区）任务合计{sums[t.region_code]:,}，与乡镇任务表{ts.name}的{t.task:,}不符",
                    "split_mismatch", f"{name}: villages add up to {sums[t.region_code]}, town task {t.task}",
                )
            )  # fmt: skip


def write_upload_report(up: TaskUpload, path: Path) -> Path:
    """:func:`upload_report_bytes`'s workbook written to ``path`` (the CLI)."""
    return _report_book(up).save(path)


def upload_report_bytes(up: TaskUpload) -> bytes:
    """The error report (Excel, Chinese headers, as the department lists'): 错误明细 and 汇总."""
    return _report_book(up).to_bytes()


def _report_book(up: TaskUpload) -> Book:
    book = Book()
    ws = book.sheet("错误明细")
    ws.append(list(ERROR_HEADERS))
    for p in sorted(up.problems, key=lambda p: p.row):
        ws.append([p.row or "", p.column, p.value, p.zh, p.code, p.en])
    ws = book.sheet("汇总")
    ws.append(list(SUMMARY_HEADERS))
    for label, value in (
        ("文件 file", up.file_name),
        ("SHA-256", up.sha256),
        ("层级 level", UNIT_LEVEL_ZH[up.level]),
        ("数据行 data rows", str(up.data_rows)),
        ("有效 valid", str(len(up.units))),
        ("错误 problems", str(len(up.problems))),
        ("任务合计 task total", f"{up.total:,}"),
    ):
        ws.append([label, value])
    return book


def load_task_upload(
    session: Session,
    campaign_id: int,
    content: bytes,
    file_name: str,
    *,
    name: str,
    title: str,
    level: Level,
    actor: str,
    rate: str | None = None,
    replace: bool = False,
) -> tuple[TargetSet, TaskTableVersion]:
    """Check the file and store it as task table ``name`` (a new version when ``replace``).
    Raises :class:`TaskUploadError` (with every problem) and stores nothing when a row is wrong."""
    if not name.strip() or len(name) > 60:
        raise InvalidInput("任务表名称须为1至60个字符", "the table name must have 1-60 characters")
    up = check_task_file(session, campaign_id, content, file_name, level=level)
    if up.problems:
        raise TaskUploadError(up)
    c = campaign_or_fail(session, campaign_id)
    old = session.scalar(select(TargetSet).where(TargetSet.campaign_id == c.id, TargetSet.name == name))
    if old is not None:
        if not replace:
            raise TaskTableError(
                f"征缴批次{c.id}已有任务表“{name}”（如需替换请加 --replace）",
                f"table {name} is already loaded for campaign {c.id} (use replace)",
                code="target_exists",
            )
        record(session, actor, "target_sets", old.id, "delete", {"name": old.name}, None)
        session.delete(old)
        session.flush()
    target_rate = str(parse_rate(rate)) if rate else None
    ts = TargetSet(
        campaign_id=c.id,
        name=name,
        title=title,
        target_group="all",
        unit=level,
        method="fixed",
        rate=target_rate,
        deadline=None,
        base_kind="户籍人口" if any(u.base is not None for u in up.units) else None,
        base_source=f"县（区）上传：{file_name}",
        base_as_of=None,
        source=f"县（区）自定任务表：{file_name}",
        task_scope=None,
        includes_employee=False,
        incentive_per_person_fen=None,
        loaded_by=actor,
        loaded_at=now(),
    )
    session.add(ts)
    session.flush()
    session.add_all(
        TargetUnit(
            target_set_id=ts.id, seq=u.seq, unit_name=u.name, region_code=u.region_code, base=u.base,
            rate=None, stated_task=u.task, task=u.task,
        )
        for u in up.units
    )  # fmt: skip
    last = session.scalar(
        select(func.max(TaskTableVersion.version)).where(
            TaskTableVersion.campaign_id == c.id, TaskTableVersion.name == name
        )
    )
    for v in session.scalars(
        select(TaskTableVersion).where(
            TaskTableVersion.campaign_id == c.id,
            TaskTableVersion.name == name,
            TaskTableVersion.status == "current",
        )
    ):
        v.status = "replaced"
    version = TaskTableVersion(
        campaign_id=c.id, name=name, version=int(last or 0) + 1, level=level, file_name=file_name,
        sha256=up.sha256, content=content, units=len(up.units), task_total=up.total, status="current",
        loaded_by=actor, loaded_at=now(),
    )  # fmt: skip
    session.add(version)
    session.flush()
    record(
        session, actor, "target_sets", ts.id, "upload", None,
        {"campaign": c.id, "table": name, "version": version.version, "units": len(up.units),
         "task": up.total, "file": file_name, "sha256": up.sha256},
    )  # fmt: skip
    return ts, version


def task_versions(session: Session, campaign_id: int, name: str | None = None) -> list[TaskTableVersion]:
    """Every uploaded version of the campaign's task tables (or of one), oldest first."""
    q = select(TaskTableVersion).where(TaskTableVersion.campaign_id == campaign_id)
    if name is not None:
        q = q.where(TaskTableVersion.name == name)
    return list(session.scalars(q.order_by(TaskTableVersion.name, TaskTableVersion.version)))


def version_file(session: Session, campaign_id: int, name: str, version: int) -> TaskTableVersion:
    v = session.scalar(
        select(TaskTableVersion).where(
            TaskTableVersion.campaign_id == campaign_id,
            TaskTableVersion.name == name,
            TaskTableVersion.version == version,
        )
    )
    if v is None:
        raise VersionNotFound(
            f"没有任务表“{name}”的第{version}版", f"no version {version} of task table {name}"
        )
    return v
