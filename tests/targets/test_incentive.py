"""黔江 2022 四（一）：对超额完成当年目标的乡镇街道，超出部分按5元/人兑现工作经费。"""

from __future__ import annotations

from decimal import Decimal

import pytest

from urrbmi.errors import InvalidInput
from urrbmi.targets.incentive import incentive_amount, incentive_table, incentive_total
from urrbmi.targets.tables import TaskTableError, load_table


def test_qianjiang_incentive_5_yuan_per_person_above_task() -> None:
    assert incentive_amount(42500, 42300, Decimal(5)) == Decimal("1000.00")  # 200 × 5
    assert incentive_amount(42300, 42300, Decimal(5)) == Decimal("0.00")
    assert incentive_amount(40000, 42300, Decimal(5)) == Decimal("0.00")  # no penalty


def test_qianjiang_incentive_table_uses_the_notice_rate_for_every_town() -> None:
    table = load_table("qianjiang-2022")
    # each unit exceeds its task by its own 序号: 城东街道 +1 ... 新华乡 +30
    enrolled = {r.region: r.task + r.seq for r in table.rows}
    lines = incentive_table(table, enrolled)
    assert len(lines) == 30
    assert lines[0].region == "城东街道" and lines[0].excess == 1
    assert lines[0].amount == Decimal("5.00")
    assert lines[29].region == "新华乡" and lines[29].amount == Decimal("150.00")  # 30 × 5
    assert incentive_total(lines) == Decimal("2325.00")  # 5 × (1 + 2 + … + 30) = 5 × 465


def test_incentive_rate_is_a_parameter() -> None:
    table = load_table("qianjiang-2022")
    enrolled = {r.region: r.task for r in table.rows}
    enrolled["城南街道"] = 25400 + 7
    lines = incentive_table(table, enrolled, per_person=Decimal("2.5"))
    assert incentive_total(lines) == Decimal("17.50")  # 7 × 2.5
    tasks = {r.region: r.task for r in table.rows} | {"城南街道": 25405}
    assert incentive_total(incentive_table(table, enrolled, Decimal(5), tasks)) == Decimal("10.00")


def test_incentive_needs_every_town_and_a_rate() -> None:
    table = load_table("qianjiang-2022")
    enrolled = {r.region: r.task for r in table.rows}
    with pytest.raises(InvalidInput, match="新华乡"):
        incentive_table(table, {k: v for k, v in enrolled.items() if k != "新华乡"})
    with pytest.raises(InvalidInput, match="外星镇"):
        incentive_table(table, enrolled | {"外星镇": 1})
    suixi = load_table("suixi-2022")
    with pytest.raises(TaskTableError, match="奖励"):
        incentive_table(suixi, {r.region: r.task for r in suixi.rows})
    with pytest.raises(InvalidInput):
        incentive_amount(1, 0, Decimal(-1))
