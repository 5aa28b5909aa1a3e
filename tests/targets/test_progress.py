"""Progress arithmetic: rates against the notices' targets, remaining, ranks, last year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from urrbmi.errors import InvalidInput
from urrbmi.targets.progress import (
    UnitCounts,
    bottom_units,
    load_target_rules,
    percent,
    progress_table,
    progress_total,
    required_count,
    unit_progress,
)
from urrbmi.targets.tables import TaskTableError

TAIXING_GENERAL = Decimal("0.985")


def test_target_rules_carry_the_notices_rates_and_deadlines() -> None:
    rules = load_target_rules()
    assert rules["taixing-2022-general"].rate == Decimal("0.985")
    assert rules["taixing-2022-general"].unit == "乡镇、街道"
    assert rules["taixing-2022-students"].rate == Decimal(1)
    assert rules["taixing-2022-students"].unit == "学校"
    assert rules["shetan-2023-low-income"].rate == Decimal(1)
    assert rules["shetan-2023-low-income"].deadline == dt.date(2022, 12, 31)
    assert rules["changji-2023-hardship"].deadline == dt.date(2022, 11, 30)
    assert rules["changji-2023-all"].deadline == dt.date(2023, 1, 31)
    assert rules["suixi-2022-all"].rate == Decimal("0.99")
    assert all(r.citation for r in rules.values())


def test_taixing_general_residents_98_5_percent_per_town_rounds_required_up() -> None:
    # 1001 × 98.5% = 985.985: 985 enrolled is 98.40%, short of the target; 986 reaches it
    assert required_count(1001, TAIXING_GENERAL) == 986
    short = unit_progress(UnitCounts("黄桥镇", base=1001, enrolled=985), TAIXING_GENERAL)
    assert (short.required, short.remaining, short.meets_target) == (986, 1, False)
    assert percent(short.rate) == "98.40%"
    ok = unit_progress(UnitCounts("黄桥镇", base=1001, enrolled=986), TAIXING_GENERAL)
    assert (ok.remaining, ok.meets_target) == (0, True)
    # an exact product needs no rounding: 1000 × 98.5% = 985
    assert required_count(1000, TAIXING_GENERAL) == 985


def test_taixing_students_100_percent_per_school() -> None:
    p = unit_progress(UnitCounts("泰兴中学", base=420, enrolled=419), Decimal(1))
    assert (p.required, p.remaining, p.meets_target) == (420, 1, False)
    assert unit_progress(UnitCounts("泰兴中学", 420, 420), Decimal(1)).meets_target


def test_suixi_progress_against_task_uses_task_not_base() -> None:
    p = unit_progress(UnitCounts("濉溪镇", base=94903, enrolled=90000, task=93954), Decimal("0.99"))
    assert p.required == 93954
    assert p.remaining == 3954
    assert p.completion == Decimal(90000) / Decimal(93954)
    assert percent(p.completion) == "95.79%"  # 90000 / 93954 = 0.957915...
    assert percent(p.rate) == "94.83%"  # 90000 / 94903 = 0.948336...
    over = unit_progress(UnitCounts("濉溪镇", 94903, 94000, task=93954), Decimal("0.99"))
    assert (over.remaining, over.meets_target) == (0, True)


def test_rate_versus_last_year() -> None:
    p = unit_progress(UnitCounts("甲镇", base=1000, enrolled=990, last_year_enrolled=980), Decimal("0.985"))
    assert p.last_year_rate == Decimal("0.98")
    assert p.rate_change == Decimal("0.01")
    assert p.enrolled_change == 10
    q = unit_progress(UnitCounts("乙镇", 1000, 990, last_year_enrolled=990, last_year_base=1100), Decimal(1))
    assert q.last_year_rate == Decimal("0.9")
    assert q.rate_change == Decimal("0.09")
    assert unit_progress(UnitCounts("丙镇", 10, 9), Decimal(1)).rate_change is None


def test_rank_ties_share_the_better_rank_and_skip_the_next() -> None:
    rows = progress_table(
        [
            UnitCounts("甲", 100, 99),
            UnitCounts("乙", 200, 198),  # 99% exactly, tied with 甲
            UnitCounts("丙", 100, 100),
            UnitCounts("丁", 100, 50),
        ],
        TAIXING_GENERAL,
    )
    assert [(p.unit, p.rank) for p in rows] == [("甲", 2), ("乙", 2), ("丙", 1), ("丁", 4)]


def test_units_printed_with_the_same_percentage_share_a_rank() -> None:
    # the demo's 南坪镇 921/1043 = 88.303% and 濉溪镇 830/940 = 88.298%: both print 88.30%
    rows = progress_table([UnitCounts("甲", 10000, 9999), UnitCounts("乙", 9999, 9998)], TAIXING_GENERAL)
    assert percent(rows[0].rate) == percent(rows[1].rate) == "99.99%"
    assert [p.rank for p in rows] == [1, 1]  # 0.9999 and 0.99989998... print alike
    towns = [
        UnitCounts("南坪镇", 1054, 921, 1043),
        UnitCounts("濉溪镇", 949, 830, 940),
        UnitCounts("刘桥镇", 614, 536, 608),
    ]
    assert [p.rank for p in progress_table(towns, Decimal("0.99"))] == [1, 1, 3]
    # half-up at the printed place: 0.88305 prints 88.31% and ranks above 88.30%
    edge = [UnitCounts("丙", 20000, 17661), UnitCounts("丁", 100000, 88300)]
    assert [percent(p.rate) for p in progress_table(edge, Decimal("0.99"))] == ["88.31%", "88.30%"]
    assert [p.rank for p in progress_table(edge, Decimal("0.99"))] == [1, 2]


def test_rank_by_completion_when_every_unit_has_a_task() -> None:
    counts = [
        UnitCounts("甲", base=1000, enrolled=900, task=900),  # completion 100%, rate 90%
        UnitCounts("乙", base=1000, enrolled=950, task=990),  # completion 95.96%, rate 95%
    ]
    assert [p.rank for p in progress_table(counts, Decimal("0.99"))] == [1, 2]
    assert [p.rank for p in progress_table(counts, Decimal("0.99"), rank_by="rate")] == [2, 1]
    with pytest.raises(TaskTableError, match="完成率"):
        progress_table([UnitCounts("丙", 10, 9)], Decimal(1), rank_by="completion")


def test_total_row_requires_the_sum_of_per_unit_requirements() -> None:
    counts = [UnitCounts("甲", 100, 99), UnitCounts("乙", 100, 98)]
    # each unit needs ⌈98.5⌉ = 99, so the county needs 198 (not ⌈197⌉ = 197)
    total = progress_total(counts, TAIXING_GENERAL)
    assert (total.base, total.enrolled, total.required, total.remaining) == (200, 197, 198, 1)
    assert total.rank is None and not total.meets_target


def test_bottom_n_includes_units_tied_at_the_boundary() -> None:
    rows = progress_table(
        [
            UnitCounts("甲", 100, 100),
            UnitCounts("乙", 100, 99),
            UnitCounts("丙", 100, 98),
            UnitCounts("丁", 100, 98),
            UnitCounts("戊", 100, 90),
        ],
        TAIXING_GENERAL,
    )
    assert [p.rank for p in rows] == [1, 2, 3, 3, 5]
    assert bottom_units(rows, 1) == {"戊"}
    assert bottom_units(rows, 2) == {"丙", "丁", "戊"}
    assert bottom_units(rows, 0) == set()


def test_invalid_counts_are_refused() -> None:
    with pytest.raises(InvalidInput):
        unit_progress(UnitCounts("甲", 0, 0), Decimal(1))
    with pytest.raises(InvalidInput, match="重复"):
        progress_table([UnitCounts("甲", 1, 1), UnitCounts("甲", 1, 1)], Decimal(1))


def test_shetan_low_income_100_percent_counts_only_within_the_window() -> None:
    rule = load_target_rules()["shetan-2023-low-income"]
    assert rule.count_date(dt.date(2022, 12, 15)) == dt.date(2022, 12, 15)
    assert rule.count_date(dt.date(2023, 1, 15)) == dt.date(2022, 12, 31)
    assert rule.days_left(dt.date(2022, 12, 15)) == 16
    assert rule.days_left(dt.date(2023, 1, 2)) == -2
    taixing = load_target_rules()["taixing-2022-general"]
    assert taixing.count_date(dt.date(2023, 5, 1)) == dt.date(2023, 5, 1)
    assert taixing.days_left(dt.date(2023, 5, 1)) is None


def test_changji_staged_deadlines_hardship_first() -> None:
    rules = load_target_rules()
    day = dt.date(2022, 12, 20)
    assert rules["changji-2023-hardship"].days_left(day) == -20  # 2022-11-30 has passed
    assert rules["changji-2023-all"].days_left(day) == 42  # to 2023-01-31
