"""Work-funding incentive for exceeding the task (超额奖励).

黔江 2022 四（一）：对超额完成当年目标的乡镇街道，超出部分按5元/人兑现工作经费。
Amount per region = max(0, enrolled − task) × rate per person; a region at or below its task
gets nothing (there is no penalty in the notice).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from urrbmi.errors import InvalidInput
from urrbmi.money import round_fen, yuan
from urrbmi.targets.tables import TaskTable, TaskTableError


@dataclass(frozen=True)
class IncentiveLine:
    region: str
    task: int
    enrolled: int
    excess: int
    amount: Decimal


def incentive_amount(enrolled: int, task: int, per_person: Decimal) -> Decimal:
    """max(0, enrolled − task) × per_person, in yuan to the fen."""
    if enrolled < 0 or task < 0 or per_person < 0:
        raise InvalidInput(
            f"奖励计算参数无效（已参保{enrolled}，任务{task}，标准{per_person}）",
            f"invalid incentive inputs (enrolled {enrolled}, task {task}, rate {per_person})",
        )
    return round_fen(max(0, enrolled - task) * yuan(per_person))


def incentive_table(
    table: TaskTable,
    enrolled: Mapping[str, int],
    per_person: Decimal | None = None,
    tasks: Mapping[str, int] | None = None,
) -> tuple[IncentiveLine, ...]:
    """One line per region of the table, in table order.

    ``per_person`` defaults to the table's incentive clause; a table without one needs it
    passed. ``tasks`` overrides the table's tasks (e.g. after reductions). Every region must
    have an enrolled count and no unknown region may appear: a missing town is an error, not 0.
    """
    rate = per_person
    if rate is None:
        if table.meta.incentive is None:
            raise TaskTableError(
                f"任务表 {table.meta.id} 所依据的通知没有超额奖励条款，请给出每人奖励标准",
                f"table {table.meta.id} has no incentive clause; pass a rate per person",
            )
        rate = table.meta.incentive.per_person_yuan
    regions = table.regions()
    missing = [r for r in regions if r not in enrolled]
    unknown = [r for r in enrolled if r not in regions]
    if missing or unknown:
        raise InvalidInput(
            f"参保人数与任务表 {table.meta.id} 不对应：缺少{missing}，多出{unknown}",
            f"enrolled counts do not match table {table.meta.id}: missing {missing}, unknown {unknown}",
        )
    lines = []
    for row in table.rows:
        task = tasks[row.region] if tasks is not None else row.task
        count = enrolled[row.region]
        lines.append(
            IncentiveLine(row.region, task, count, max(0, count - task), incentive_amount(count, task, rate))
        )
    return tuple(lines)


def incentive_total(lines: tuple[IncentiveLine, ...]) -> Decimal:
    return round_fen(sum((line.amount for line in lines), Decimal(0)))
