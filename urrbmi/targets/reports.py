"""Bulletins, charts, incentives and funding from the campaign database.

The arithmetic is the pure layer (bulletin.py, charts.py, incentive.py, funding.py); this module
feeds it with counts from :mod:`urrbmi.targets.counting` and figures from the campaign's policy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from urrbmi.campaign.campaigns import campaign_policy
from urrbmi.export import Book
from urrbmi.money import ZERO, from_fen, round_fen, yuan
from urrbmi.policy.schema import FiscalSubsidy
from urrbmi.targets import columns as spec
from urrbmi.targets.bulletin import Bulletin, build_bulletin, write_html, write_xlsx
from urrbmi.targets.columns import Detail, report_lines
from urrbmi.targets.counting import (
    Level,
    ProgressReport,
    burnup,
    composition,
    progress,
    state_summary,
)
from urrbmi.targets.funding import FinancingStandard, check_split
from urrbmi.targets.incentive import IncentiveLine, incentive_table
from urrbmi.targets.progress import UnitCounts
from urrbmi.targets.store import campaign_or_fail, get_set, stored_table, stored_tasks

UNIT_LABELS = {"county": "县（市、区）", "town": "乡镇（街道）", "village": "村（社区）", "school": "学校"}


def report_counts(report: ProgressReport) -> list[UnitCounts]:
    """The report's rows as counts named for people (the names of :func:`columns.report_lines`)."""
    _shape, lines = report_lines(report)
    return [
        UnitCounts(
            ln.name,
            ln.p.base,
            ln.p.enrolled,
            ln.p.task,
            None if ln.p.enrolled_change is None else ln.p.enrolled - ln.p.enrolled_change,
        )
        for ln in lines
        if not ln.total
    ]


def report_details(report: ProgressReport) -> dict[str, Detail]:
    """The database counts of each line by the name it is shown under (the total as 合计)."""
    _shape, lines = report_lines(report)
    return {ln.name: ln.detail for ln in lines if ln.detail is not None}


def bulletin_place(session: Session, campaign_region: str, scope: str) -> str:
    """The name a bulletin's title carries: the county (the campaign's region), or the town or
    village the reader's scope narrows it to ('' when the region is not registered)."""
    from urrbmi.db.models import Region

    narrower = len(scope) > len(campaign_region) and scope.startswith(campaign_region)
    region = session.get(Region, scope if narrower else campaign_region)
    return region.name if region is not None else ""


def bulletin_from_db(
    session: Session,
    campaign_id: int,
    *,
    on: dt.date,
    level: Level = "town",
    scope: str = "",
    target: str | None = None,
    target_rate: Decimal | None = None,
    bottom_n: int = 3,
) -> tuple[Bulletin, ProgressReport]:
    report = progress(
        session,
        campaign_id,
        on=on,
        level=level,
        scope=scope,
        target=target,
        target_rate=target_rate,
    )
    c = campaign_or_fail(session, campaign_id)
    policy = campaign_policy(c).model
    place = bulletin_place(session, c.region_code, scope) or policy.jurisdiction.name
    notes = [
        f"数据来源：{policy.jurisdiction.name}{c.benefit_year}年度城乡居民医保征缴（批次{c.id}），"
        f"统计截至{on:%Y-%m-%d}（含当日）的参保登记和缴费。",
        "参保人数口径：本地城乡居民医保参保（缴费、代缴、资助、导入），不含已退费或注销。",
    ]
    if report.counts_employee:
        notes.append("任务数含城乡居民医保和城镇职工医保参保人数：已参保人数含职工医保参保人员。")
    if report.target_name:
        ts = get_set(session, campaign_id, report.target_name)
        notes.append(f"任务数：{ts.title}（{ts.source}）；基数：{ts.base_kind}，{ts.base_source}。")
    notes.extend(followup_notes(session, campaign_id, on=on, scope=scope))
    b = build_bulletin(
        report_counts(report),
        report.target_rate,
        title=f"{place}{c.benefit_year}年度城乡居民医保参保缴费进度通报",
        as_of=on,
        unit_label=UNIT_LABELS[level],
        base_label="户籍人口" if report.target_name else "应参保人数",
        bottom_n=bottom_n,
        rank_by=report.rank_by,
        notes=notes,
        details=report_details(report),
    )
    return b, report


def followup_notes(session: Session, campaign_id: int, *, on: dt.date, scope: str = "") -> list[str]:
    """Bulletin notes for issue 18: each group target with its deadline and days left
    (targets/groups.py; not the everyone-target the table itself shows), and, in a bulletin of the
    whole campaign (the bureau's), department lists
    late or not received (targets/deadlines.py)."""
    from urrbmi.targets.deadlines import list_deadlines
    from urrbmi.targets.groups import deadline_text, group_progress
    from urrbmi.targets.progress import percent

    out: list[str] = []
    for g in group_progress(session, campaign_id, on=on, scope=scope, include_all=False):
        if g.total is None:
            continue
        t, p = g.target, g.total.progress
        when = f"截止{t.deadline:%Y-%m-%d}，{deadline_text(g.days_left)}" if t.deadline else "无期限"
        out.append(
            f"{t.label}：已参保{g.total.enrolled:,}人/应参保{p.base:,}人（{percent(p.rate)}），"
            f"距目标差{p.remaining:,}人；{when}（{t.cite}）。"
        )
    if campaign_or_fail(session, campaign_id).region_code.startswith(scope):
        owed = [x for x in list_deadlines(session, campaign_id, on=on) if x.status in ("missing", "late")]
        by_list: dict[tuple[str, str], list[Any]] = {}
        for x in owed:
            by_list.setdefault((x.department, x.list_name), []).append(x)
        for (dept, name), xs in by_list.items():
            if len(xs) == 1:
                x = xs[0]
                out.append(f"部门名单：{dept}应于{x.due:%Y-%m-%d}前报送{name}，{x.status_zh}（{x.cite}）。")
                continue
            parts = []
            for status, label in (("missing", "未报送"), ("late", "逾期报送")):
                dues = [f"{x.due:%m-%d}" for x in xs if x.status == status]
                if dues:
                    parts.append(f"{label}{len(dues)}次（{'、'.join(dues)}到期）")
            out.append(f"部门名单：{dept}报送{name}，{'，'.join(parts)}（{xs[0].cite}）。")
    return out


@dataclass(frozen=True)
class BulletinFiles:
    xlsx: Path
    html: Path
    charts: tuple[Path, ...] = field(default=())


def campaign_window(
    session: Session, campaign_id: int, target_name: str | None = None
) -> tuple[dt.date | None, dt.date | None]:
    """(start, deadline) of the campaign's drive, for burn-up charts: the deadline of the task set
    ``target_name`` if given and it has one, else the end of the policy's ``centralized``
    milestone, else its last staged deadline; the start is the centralized milestone's. None where
    nothing gives a date."""
    c = campaign_or_fail(session, campaign_id)
    m = campaign_policy(c).model
    windows = {ms.code: ms for ms in m.milestones}
    start = windows["centralized"].start if "centralized" in windows else None
    deadline = None
    if target_name:
        deadline = get_set(session, campaign_id, target_name).deadline
    if deadline is None and "centralized" in windows:
        deadline = windows["centralized"].end
    if deadline is None and m.targets.staged_deadlines:
        deadline = max(sd.by for sd in m.targets.staged_deadlines)
    return start, deadline


def write_bulletin_files(
    session: Session,
    campaign_id: int,
    out: Path,
    *,
    on: dt.date,
    level: Level = "town",
    scope: str = "",
    target: str | None = None,
    target_rate: Decimal | None = None,
    bottom_n: int = 3,
    charts: bool = True,
) -> BulletinFiles:
    """通报 as Excel and printable HTML in ``out``, with the three charts as PNG."""
    b, report = bulletin_from_db(
        session,
        campaign_id,
        on=on,
        level=level,
        scope=scope,
        target=target,
        target_rate=target_rate,
        bottom_n=bottom_n,
    )
    out.mkdir(parents=True, exist_ok=True)
    stem = f"bulletin-{campaign_id}-{level}-{on:%Y%m%d}"
    xlsx = write_xlsx(b, out / f"{stem}.xlsx")
    page = write_html(b, out / f"{stem}.html")
    made: list[Path] = []
    if charts and b.rows:
        from urrbmi.targets.charts import burnup_chart, composition_chart, progress_chart

        made.append(progress_chart(b, out / f"{stem}-progress.png"))
        points = burnup(session, campaign_id, on=on, scope=scope)
        start, deadline = campaign_window(session, campaign_id, report.target_name)
        if points and report.total is not None:
            target_n = report.total.progress.required - (
                report.total.employee if report.counts_employee else 0
            )
            made.append(
                burnup_chart(
                    points,
                    max(target_n, 1),
                    start=start or points[0][0],
                    deadline=max(deadline or on, on),
                    title=f"{b.title}：累计参保进度",
                    path=out / f"{stem}-burnup.png",
                )
            )
        comp = composition(session, campaign_id, on=on, scope=scope)
        if comp:
            made.append(composition_chart(comp, title="已参保人员构成", path=out / f"{stem}-composition.png"))
    return BulletinFiles(xlsx, page, tuple(made))


# --- incentive ----------------------------------------------------------------------------------


def incentive_from_db(
    session: Session,
    campaign_id: int,
    *,
    on: dt.date,
    target: str | None = None,
    per_person: Decimal | None = None,
) -> tuple[IncentiveLine, ...]:
    """黔江-style incentive per unit of the loaded task table: max(0, enrolled − task) × the rate
    (the table's clause, else ``per_person``), with enrolled counted at ``on`` and tasks after
    reductions."""
    ts = get_set(session, campaign_id, target, unit=None if target else "town")
    report = progress(session, campaign_id, on=on, level=ts.unit, target=ts.name)  # type: ignore[arg-type]
    enrolled = {r.name: r.covered for r in report.rows}
    table = stored_table(session, ts)
    tasks = {t.unit_name: t.task for t in stored_tasks(session, ts)}
    for name in tasks:
        enrolled.setdefault(name, 0)
    rate = per_person
    if rate is None and ts.incentive_per_person_fen is not None:
        rate = from_fen(ts.incentive_per_person_fen)
    return incentive_table(table, enrolled, rate, tasks=tasks)


# --- funding ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundingLine:
    section: str  # 资助参保 / 财政补助 / 个人缴费 / 合计
    item: str
    funder: str
    persons: int
    per_person: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class FundingReport:
    campaign_id: int
    on: dt.date
    enrolled: int
    lines: tuple[FundingLine, ...]
    financing_per_person: Decimal | None
    financing_note: str
    total: Decimal


def funding_report(session: Session, campaign_id: int, *, on: dt.date, scope: str = "") -> FundingReport:
    """For residents enrolled at ``on``: subsidies (资助参保) by category and funder from the
    assessments, the fiscal subsidy by level (persons × the policy's per-capita split; persons who
    paid the fiscal portion themselves are left out), individual contributions collected (payments
    made by ``on`` less refunds done by ``on``) and the financing standard per person."""
    c = campaign_or_fail(session, campaign_id)
    policy = campaign_policy(c)
    m = policy.model
    summary = state_summary(session, campaign_id, on, scope)
    st = summary.by_category  # alive and enrolled
    vocab = policy.vocabulary.by_code  # the notice's names for its identities
    lines: list[FundingLine] = []
    subs = (
        st.filter(pl.col("subsidy_pos"))
        .group_by("subsidy_category")
        .agg(pl.col("n").sum().alias("n"), pl.col("subsidy_fen").sum().alias("fen"))
        .sort("subsidy_category")
    )
    for code, n, fen in subs.iter_rows():
        rule = policy.subsidy_by_category.get(code or "")
        funder = (rule.funder if rule is not None else None) or "（通知未写明）"
        name = vocab[code].name if code in vocab else (code or "未标明类别")
        lines.append(FundingLine("资助参保", name, funder, int(n), None, from_fen(int(fen))))
    fiscal_n = int(st.filter(pl.col("fiscal_zero")).get_column("n").sum())
    fs = m.fiscal_subsidy
    if isinstance(fs, FiscalSubsidy):
        shares = {s.label: s.amount for s in fs.split} if fs.split else {"财政补助（通知未分级）": fs.amount}
        check_split(fs.amount, shares)
        for label, amount in shares.items():
            lines.append(
                FundingLine(
                    "财政补助", label, label, fiscal_n, yuan(amount), round_fen(yuan(amount) * fiscal_n)
                )
            )
    net = int(summary.by_village.get_column("collected_fen").sum())  # everyone's, kept as data
    collected = from_fen(net)
    payers = int(st.filter(pl.col("paid")).get_column("n").sum())
    lines.append(FundingLine("个人缴费", "个人缴费实收（已缴减已退）", "参保人", payers, None, collected))
    total = round_fen(sum((ln.amount for ln in lines), ZERO))
    per_person: Decimal | None = None
    note = "通知未给出人均筹资标准"
    if m.financing_total is not None:
        ft = m.financing_total
        per_person = FinancingStandard(ft.fiscal, ft.individual).check(ft.amount)
        note = (
            f"人均筹资标准 {yuan(ft.amount)} = 财政补助 {yuan(ft.fiscal)} + 个人缴费 {yuan(ft.individual)}"
            f"（{ft.cite}）"
        )
    elif isinstance(fs, FiscalSubsidy):
        note = f"人均财政补助 {yuan(fs.amount)}（{fs.cite}）；通知未给出人均筹资总额"
    return FundingReport(c.id, on, int(st.get_column("n").sum()), tuple(lines), per_person, note, total)


def write_funding_xlsx(r: FundingReport, path: Path) -> Path:
    book = Book()
    sheet = book.sheet("筹资")
    ws = sheet.ws
    sheet.append([f"城乡居民医保筹资情况（征缴批次{r.campaign_id}，截至{r.on:%Y-%m-%d}）"])
    ws["A1"].font = Font(bold=True, size=14)
    sheet.append([f"已参保 {r.enrolled} 人；{r.financing_note}"])
    sheet.append(["项目", "明细", "出资方", "人数", "人均（元）", "金额（元）"])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for ln in r.lines:
        sheet.append([ln.section, ln.item, ln.funder, ln.persons, ln.per_person, ln.amount])
    sheet.append(["合计", "", "", None, None, r.total])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in ws.iter_rows(min_row=4):
        row[3].number_format = "#,##0"
        row[4].number_format = "#,##0.00"
        row[5].number_format = "#,##0.00"
    for col, width in zip("ABCDEF", (12, 30, 30, 10, 12, 16), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A4"
    return book.save(path)


# --- progress sheet -----------------------------------------------------------------------------

_NUMBER_FORMATS = {
    "count": "#,##0",
    "percent": "0.00%",
    "points": "+0.00;-0.00;0.00",
    "rank": "0",
    "text": "@",
}


def write_progress_xlsx(rep: ProgressReport, path: Path) -> Path:
    """The progress table (the columns of :mod:`urrbmi.targets.columns`), figures as printed."""
    shape, lines = report_lines(rep)
    cols = spec.columns(shape)
    book = Book()
    sheet = book.sheet("参保进度")
    ws = sheet.ws
    sheet.append([f"参保进度（征缴批次{rep.campaign_id}，{UNIT_LABELS[rep.level]}，截至{rep.on:%Y-%m-%d}）"])
    ws["A1"].font = Font(bold=True, size=14)
    sheet.append(
        [
            f"目标参保率 {rep.target_rate * 100:.2f}%；"
            f"排名依据：{'任务完成率' if rep.rank_by == 'completion' else '参保率'}（并列者名次相同）"
        ]
    )
    sheet.append([c.label(shape) for c in cols])
    for head in ws[3]:
        head.font = Font(bold=True)
    for ln in lines:
        values = [spec.cell(c, ln) for c in cols]
        sheet.append(
            [
                v if v is not None or c.kind in ("rank", "text") else "—"
                for c, v in zip(cols, values, strict=True)
            ]
        )
    for row in ws.iter_rows(min_row=4):
        for xc, c in zip(row, cols, strict=True):
            xc.number_format = _NUMBER_FORMATS[c.kind]
    if rep.total is not None:
        for xc in ws[ws.max_row]:
            xc.font = Font(bold=True)
    ws.freeze_panes = "C4"
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 16
    return book.save(path)
