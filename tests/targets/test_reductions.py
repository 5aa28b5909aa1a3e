"""濉溪 annex note 3: tasks are reduced only on proof of insurance elsewhere (异地参保凭证)."""

from __future__ import annotations

import datetime as dt

import pytest

from urrbmi import ids
from urrbmi.errors import InvalidId
from urrbmi.targets.reductions import TaskReduction, apply_reductions, read_reductions_csv
from urrbmi.targets.tables import EvidenceKind, TaskTableError, load_table

DAY = dt.date(2021, 12, 20)
EMPLOYEE = EvidenceKind.OTHER_PLACE_EMPLOYEE
RESIDENT = EvidenceKind.OTHER_PLACE_RESIDENT


def _id(seq: int) -> str:
    return ids.make("340621", dt.date(1990, 1, 1), seq)


def test_suixi_note3_reductions_with_evidence_lower_the_task() -> None:
    table = load_table("suixi-2022")
    reductions = [
        TaskReduction("濉溪镇", 3, EMPLOYEE, "SX-2021-001", DAY),
        TaskReduction("濉溪镇", 2, RESIDENT, "SX-2021-002", DAY, (_id(1), _id(3))),
        TaskReduction("临涣镇", 1, RESIDENT, "LH-2021-001", DAY),
    ]
    out = {r.region: r for r in apply_reductions(table, reductions)}
    assert out["濉溪镇"].original == 93954
    assert out["濉溪镇"].reduced_by == 5
    assert out["濉溪镇"].task == 93949  # 93954 − 3 − 2
    assert out["濉溪镇"].evidence_refs == ("SX-2021-001", "SX-2021-002")
    assert out["临涣镇"].task == 97565  # 97566 − 1
    assert out["百善镇"].task == 121043 and out["百善镇"].reduced_by == 0
    assert sum(r.task for r in out.values()) == 1130260 - 6


def test_reduction_refused_where_the_notice_has_no_reduction_clause() -> None:
    table = load_table("qianjiang-2022")
    with pytest.raises(TaskTableError, match="未规定核减"):
        apply_reductions(table, [TaskReduction("城东街道", 1, EMPLOYEE, "QJ-1", DAY)])
    assert apply_reductions(table, [])[0].task == 42300


@pytest.mark.parametrize(
    ("reduction", "message"),
    [
        (TaskReduction("不存在镇", 1, EMPLOYEE, "R1", DAY), "不在任务表"),
        (TaskReduction("濉溪镇", 0, EMPLOYEE, "R1", DAY), "正数"),
        (TaskReduction("濉溪镇", 1, EMPLOYEE, "  ", DAY), "凭证编号"),
        (TaskReduction("濉溪镇", 2, EMPLOYEE, "R1", DAY, (_id(1),)), "不符"),
        (TaskReduction("刘桥镇", 60786, EMPLOYEE, "R1", DAY), "超过其任务数"),
    ],
)
def test_reduction_without_valid_evidence_is_refused(reduction: TaskReduction, message: str) -> None:
    with pytest.raises(TaskTableError, match=message):
        apply_reductions(load_table("suixi-2022"), [reduction])


def test_same_evidence_or_same_resident_cannot_reduce_twice() -> None:
    table = load_table("suixi-2022")
    with pytest.raises(TaskTableError, match="凭证编号重复"):
        apply_reductions(
            table,
            [
                TaskReduction("濉溪镇", 1, EMPLOYEE, "R1", DAY),
                TaskReduction("百善镇", 1, EMPLOYEE, "R1", DAY),
            ],
        )
    with pytest.raises(TaskTableError, match="重复核减"):
        apply_reductions(
            table,
            [
                TaskReduction("濉溪镇", 1, EMPLOYEE, "R1", DAY, (_id(5),)),
                TaskReduction("百善镇", 1, RESIDENT, "R2", DAY, (_id(5),)),
            ],
        )
    with pytest.raises(InvalidId):
        apply_reductions(table, [TaskReduction("濉溪镇", 1, EMPLOYEE, "R1", DAY, ("123",))])


def test_reductions_read_from_csv_with_chinese_or_code_evidence_names() -> None:
    text = (
        "region,persons,evidence,evidence_ref,recorded_on,resident_ids\n"
        f"濉溪镇,2,异地职工医保参保凭证,SX-9,2021-12-01,{_id(1)};{_id(3)}\n"
        "四铺镇,4,other_place_resident,SP-1,2021-12-02,\n"
    )
    items = read_reductions_csv(text)
    assert [(r.region, r.persons, r.evidence) for r in items] == [
        ("濉溪镇", 2, EMPLOYEE),
        ("四铺镇", 4, RESIDENT),
    ]
    out = {r.region: r.task for r in apply_reductions(load_table("suixi-2022"), items)}
    assert out["四铺镇"] == 91911  # 91915 − 4
    with pytest.raises(TaskTableError, match="凭证种类"):
        read_reductions_csv("region,persons,evidence,evidence_ref,recorded_on\n甲,1,户口本,X,2021-01-01\n")
