"""Task tables, target rates and reductions in the database (tables ``target_sets``,
``target_units``, ``target_reductions``).

A task table (``data/<id>-tasks.*``) is loaded for one campaign: each printed unit is matched by
name to a town (or village) of the campaign's region, its base, rate, printed task and the task
used are stored as they are, and every load and reduction is audited. Numbers are never adjusted:
a table whose printed numbers its own method does not reproduce is refused (see tables.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from urrbmi.clock import now
from urrbmi.db.models import LEVEL_DIGITS, Campaign, Region
from urrbmi.db.models_targets import TargetReduction, TargetSet, TargetUnit
from urrbmi.errors import InvalidInput
from urrbmi.ids import mask
from urrbmi.money import to_fen, yuan
from urrbmi.registry.audit import record
from urrbmi.targets.progress import load_target_rules
from urrbmi.targets.reductions import ReducedTask, TaskReduction, apply_reductions
from urrbmi.targets.tables import TaskRow, TaskTable, TaskTableError, load_table


class TargetNotFound(InvalidInput):
    code = "target_not_found"
    http_status = 422


def campaign_or_fail(session: Session, campaign_id: int) -> Campaign:
    c = session.get(Campaign, campaign_id)
    if c is None:
        raise InvalidInput(
            f"没有编号为{campaign_id}的征缴批次", f"no campaign {campaign_id}", code="no_campaign"
        )
    return c


def region_prefix(session: Session, code: str) -> str:
    """The significant digits of a region code (a county's 6, a town's 9...), for LIKE filters."""
    level = session.scalar(select(Region.level).where(Region.code == code))
    if level is None:
        raise InvalidInput(f"没有区划代码{code}", f"unknown region code {code}", code="unknown_region")
    return code[: LEVEL_DIGITS[level]]


def _units_by_name(session: Session, prefix: str, level: str) -> dict[str, str]:
    rows = session.execute(
        select(Region.name, Region.code).where(Region.level == level, Region.code.like(f"{prefix}%"))
    ).all()
    out: dict[str, str] = {}
    for name, code in rows:
        out.setdefault(name.strip(), code)
    return out


def load_task_table(
    session: Session,
    campaign_id: int,
    table_id: str,
    *,
    actor: str,
    level: str = "town",
    replace: bool = False,
) -> TargetSet:
    """Store task table ``table_id`` for the campaign, matching its units to regions by name.

    Refused: a table for another benefit year, a unit with no region of that name in the
    campaign's region, a table already loaded (unless ``replace``: its reductions go with it)."""
    c = campaign_or_fail(session, campaign_id)
    table = load_table(table_id)
    if table.meta.benefit_year != c.benefit_year:
        raise TaskTableError(
            f"任务表 {table_id} 是{table.meta.benefit_year}年度的，征缴批次{c.id}是{c.benefit_year}年度",
            f"table {table_id} is for {table.meta.benefit_year}, campaign {c.id} for {c.benefit_year}",
        )
    codes = _units_by_name(session, region_prefix(session, c.region_code), level)
    missing = [r.region for r in table.rows if r.region not in codes]
    if missing:
        raise TaskTableError(
            f"任务表 {table_id} 的以下单位在区划中找不到：{'、'.join(missing)}",
            f"table {table_id}: no {level} named {missing} in region {c.region_code}",
        )
    old = session.scalar(select(TargetSet).where(TargetSet.campaign_id == c.id, TargetSet.name == table_id))
    if old is not None:
        if not replace:
            raise TaskTableError(
                f"征缴批次{c.id}已载入任务表 {table_id}（如需重新载入请加 --replace）",
                f"table {table_id} is already loaded for campaign {c.id} (use --replace)",
                code="target_exists",
            )
        record(session, actor, "target_sets", old.id, "delete", {"name": old.name}, None)
        session.delete(old)
        session.flush()
    meta = table.meta
    src = meta.source
    rules = [
        r for r in load_target_rules().values() if r.county == meta.county and r.group == "all_residents"
    ]
    ts = TargetSet(
        campaign_id=c.id,
        name=table_id,
        title=meta.title,
        target_group="all",
        unit=level,
        method=meta.method.value,
        rate=str(rules[0].rate) if rules else None,
        deadline=rules[0].deadline if rules else None,
        base_kind=meta.population_base.kind,
        base_source=meta.population_base.source,
        base_as_of=meta.population_base.as_of,
        source="；".join(x for x in (src.issuer, src.document, src.annex, src.clause or "") if x),
        task_scope=meta.task_scope,
        includes_employee=bool(meta.task_scope and "职工" in meta.task_scope),
        incentive_per_person_fen=to_fen(yuan(meta.incentive.per_person_yuan)) if meta.incentive else None,
        loaded_by=actor,
        loaded_at=now(),
    )
    session.add(ts)
    session.flush()
    session.add_all(
        TargetUnit(
            target_set_id=ts.id,
            seq=r.seq,
            unit_name=r.region,
            region_code=codes[r.region],
            base=r.base,
            rate=str(r.rate) if r.rate is not None else None,
            stated_task=r.stated_task,
            task=r.task,
        )
        for r in table.rows
    )
    session.flush()
    record(
        session,
        actor,
        "target_sets",
        ts.id,
        "load",
        None,
        {"campaign": c.id, "table": table_id, "units": len(table.rows), "task": table.total_task},
    )
    return ts


def load_rate(
    session: Session, campaign_id: int, rule_id: str, *, actor: str, unit: str, group: str
) -> TargetSet:
    """Store a target rate from ``data/target-rules.yaml`` (no tasks: the required count is
    computed from each unit's base), e.g. 泰兴 students 100% per school."""
    c = campaign_or_fail(session, campaign_id)
    rules = load_target_rules()
    if rule_id not in rules:
        raise TargetNotFound(f"没有目标规则 {rule_id}", f"no target rule {rule_id}")
    rule = rules[rule_id]
    ts = TargetSet(
        campaign_id=c.id,
        name=rule_id,
        title=f"{rule.county} {rule.group}",
        target_group=group,
        unit=unit,
        method="rate",
        rate=str(rule.rate),
        deadline=rule.deadline,
        source=rule.citation,
        loaded_by=actor,
        loaded_at=now(),
    )
    session.add(ts)
    session.flush()
    record(session, actor, "target_sets", ts.id, "load", None, {"campaign": c.id, "rule": rule_id})
    return ts


def target_sets(session: Session, campaign_id: int) -> list[TargetSet]:
    return list(
        session.scalars(select(TargetSet).where(TargetSet.campaign_id == campaign_id).order_by(TargetSet.id))
    )


def get_set(
    session: Session, campaign_id: int, name: str | None = None, *, unit: str | None = None
) -> TargetSet:
    """The named set, or the campaign's only set with tasks for ``unit``."""
    q = select(TargetSet).where(TargetSet.campaign_id == campaign_id)
    if name is not None:
        q = q.where(TargetSet.name == name)
    if unit is not None:
        q = q.where(TargetSet.unit == unit)
    found = list(session.scalars(q.order_by(TargetSet.id)))
    if not found:
        raise TargetNotFound(
            f"征缴批次{campaign_id}没有载入任务表{name or ''}",
            f"campaign {campaign_id} has no target set {name or ''}",
        )
    return found[0]


@dataclass(frozen=True)
class StoredTask:
    seq: int
    unit_name: str
    region_code: str | None
    base: int | None
    rate: Decimal | None
    stated_task: int | None
    original: int
    reduced_by: int

    @property
    def task(self) -> int:
        return self.original - self.reduced_by


def stored_tasks(session: Session, ts: TargetSet) -> list[StoredTask]:
    """The set's units in table order, with the persons reduced (核减) so far."""
    reduced = (
        select(TargetReduction.target_unit_id, func.sum(TargetReduction.persons).label("persons"))
        .group_by(TargetReduction.target_unit_id)
        .subquery()
    )
    rows = session.execute(
        select(TargetUnit, func.coalesce(reduced.c.persons, 0))
        .outerjoin(reduced, reduced.c.target_unit_id == TargetUnit.id)
        .where(TargetUnit.target_set_id == ts.id)
        .order_by(TargetUnit.seq, TargetUnit.id)
    ).all()
    return [
        StoredTask(
            u.seq,
            u.unit_name,
            u.region_code,
            u.base,
            Decimal(u.rate) if u.rate is not None else None,
            u.stated_task,
            u.task,
            int(p),
        )
        for u, p in rows
    ]


def stored_table(session: Session, ts: TargetSet) -> TaskTable:
    """The task table as stored (the sidecar's metadata, the database's numbers)."""
    meta = load_table(ts.name, strict=False).meta
    rows = tuple(
        TaskRow(t.seq, t.unit_name, t.base, t.rate, t.stated_task, t.original)
        for t in stored_tasks(session, ts)
    )
    return TaskTable(meta, rows, ())


def _stored_reductions(session: Session, ts: TargetSet) -> list[TaskReduction]:
    from urrbmi.targets.tables import EvidenceKind

    rows = session.execute(
        select(TargetReduction, TargetUnit.unit_name)
        .join(TargetUnit, TargetUnit.id == TargetReduction.target_unit_id)
        .where(TargetUnit.target_set_id == ts.id)
    ).all()
    return [
        TaskReduction(
            name,
            r.persons,
            EvidenceKind(r.evidence),
            r.evidence_ref,
            r.recorded_on,
            tuple(x for x in r.resident_ids.split(";") if x),
            r.note,
        )
        for r, name in rows
    ]


def add_reductions(
    session: Session, ts: TargetSet, reductions: Sequence[TaskReduction], *, actor: str
) -> tuple[ReducedTask, ...]:
    """Record 核减 with their evidence. Checked together with those already recorded (the rules of
    :func:`apply_reductions`: evidence the notice allows, no repeated reference or resident, not
    more than the task); all or nothing."""
    table = stored_table(session, ts)
    result = apply_reductions(table, [*_stored_reductions(session, ts), *reductions])
    unit_ids = dict(
        session.execute(
            select(TargetUnit.unit_name, TargetUnit.id).where(TargetUnit.target_set_id == ts.id)
        ).all()
    )
    for r in reductions:
        row = TargetReduction(
            target_unit_id=unit_ids[r.region],
            persons=r.persons,
            evidence=r.evidence.value,
            evidence_ref=r.evidence_ref,
            recorded_on=r.recorded_on,
            resident_ids=";".join(r.resident_ids),
            note=r.note,
            recorded_by=actor,
        )
        session.add(row)
        session.flush()
        record(
            session,
            actor,
            "target_reductions",
            row.id,
            "insert",
            None,
            {
                "unit": r.region,
                "persons": r.persons,
                "evidence": r.evidence.value,
                "ref": r.evidence_ref,
                "resident_ids": [mask(x) for x in r.resident_ids],
            },
        )
    return result
