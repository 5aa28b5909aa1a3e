"""Task tables: the 濉溪 and 黔江 annexes, reproduced number by number.

Expected numbers are typed from the seed notices (shared/seeds/003_*.txt and 004_*.txt), not read
from the data files under test."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from urrbmi.targets.tables import (
    Method,
    TaskTableError,
    available_tables,
    build_table,
    check_consistent,
    compute_task,
    load_table,
    load_table_files,
    parse_meta,
    parse_rate,
)

# 附件 2022年度城乡居民基本医疗保险参保缴费目标任务: (镇（园区）, 户籍人口数, 参保任务数)
SUIXI_ANNEX = [
    ("濉溪镇", 94903, 93954),
    ("开发区（含濉芜产业园）", 23836, 23598),
    ("百善镇", 122266, 121043),
    ("铁佛镇", 137849, 136471),
    ("孙疃镇", 110988, 109878),
    ("南坪镇", 105375, 104321),
    ("韩村镇", 71967, 71247),
    ("五沟镇", 110448, 109344),
    ("刘桥镇", 61399, 60785),
    ("双堆集镇", 111251, 110138),
    ("临涣镇", 98552, 97566),
    ("四铺镇", 92843, 91915),
]

# 附件1 2022年各乡镇街道居民医保参保缴费任务分配表: (序号, 单位, 2022年任务)
QIANJIANG_ANNEX = [
    (1, "城东街道", 42300), (2, "城南街道", 25400), (3, "城西街道", 29000),
    (4, "舟白街道", 24600), (5, "正阳街道", 18000), (6, "冯家街道", 24600),
    (7, "小南海镇", 8200), (8, "邻鄂镇", 12300), (9, "阿蓬江镇", 22000),
    (10, "石会镇", 17000), (11, "黑溪镇", 17700), (12, "黄溪镇", 12300),
    (13, "黎水镇", 11500), (14, "金溪镇", 12400), (15, "马喇镇", 15500),
    (16, "濯水镇", 23000), (17, "石家镇", 12000), (18, "鹅池镇", 10500),
    (19, "中塘镇", 15000), (20, "蓬东乡", 8000), (21, "沙坝镇", 14400),
    (22, "白石镇", 14500), (23, "杉岭乡", 8600), (24, "太极乡", 11000),
    (25, "水田乡", 7200), (26, "白土乡", 6500), (27, "金洞乡", 10000),
    (28, "五里乡", 10200), (29, "水市乡", 10000), (30, "新华乡", 9300),
]  # fmt: skip


def test_shipped_tables_are_listed() -> None:
    assert {"suixi-2022", "qianjiang-2022"} <= set(available_tables())


def test_suixi_annex_task_numbers_per_town() -> None:
    table = load_table("suixi-2022")
    assert [(r.region, r.base) for r in table.rows] == [(t, b) for t, b, _ in SUIXI_ANNEX]
    for (town, base, annex_task), row in zip(SUIXI_ANNEX, table.rows, strict=True):
        assert row.rate == Decimal("0.99"), town
        # the task is computed from base × 99%, not copied from the annex column
        assert compute_task(base, Decimal("0.99")) == annex_task, town
        assert row.task == annex_task, town
    assert table.discrepancies == ()


def test_suixi_annex_totals_base_1141677_task_1130260() -> None:
    table = load_table("suixi-2022")
    assert table.total_base == 1141677
    assert table.total_task == 1130260
    assert table.meta.stated_totals.base == 1141677
    assert table.meta.stated_totals.task == 1130260


def test_suixi_annex_exact_products_before_rounding() -> None:
    table = load_table("suixi-2022")
    # hand-computed: 94903 × 0.99 = 93953.97; 137849 × 0.99 = 136470.51; 61399 × 0.99 = 60785.01
    assert table.row("濉溪镇").exact == Decimal("93953.97")
    assert table.row("铁佛镇").exact == Decimal("136470.51")
    assert table.row("刘桥镇").exact == Decimal("60785.01")


def test_suixi_annex_rounding_is_half_up_not_floor_or_ceiling() -> None:
    # 濉溪镇 93953.97 -> 93954 rules out floor; 百善镇 121043.34 -> 121043 rules out ceiling
    def other(base: int, mode: str) -> int:
        return int((Decimal(base) * Decimal("0.99")).to_integral_value(rounding=mode))

    assert other(94903, ROUND_FLOOR) != 93954
    assert other(122266, ROUND_CEILING) != 121043
    assert compute_task(94903, Decimal("0.99")) == 93954
    assert compute_task(122266, Decimal("0.99")) == 121043
    assert compute_task(1, Decimal("0.5")) == 1  # an exact half goes up (四舍五入)
    assert compute_task(3, Decimal("0.5")) == 2


def test_suixi_sidecar_cites_the_plan_annex_and_2020_county_statistics() -> None:
    meta = load_table("suixi-2022").meta
    assert meta.method is Method.BASE_TIMES_RATE
    assert "濉溪县2022年度城乡居民基本医疗保险参保缴费工作实施方案" in meta.source.document
    assert meta.source.annex.startswith("附件")
    assert meta.population_base.source == "县统计部门数据"
    assert meta.population_base.as_of == dt.date(2020, 12, 31)
    assert meta.reductions is not None
    assert meta.incentive is None


def test_qianjiang_annex1_allocations_as_printed() -> None:
    table = load_table("qianjiang-2022")
    assert [(r.seq, r.region, r.task) for r in table.rows] == QIANJIANG_ANNEX
    assert table.total_base is None


def test_qianjiang_annex1_total_463000() -> None:
    table = load_table("qianjiang-2022")
    assert sum(t for _, _, t in QIANJIANG_ANNEX) == 463000
    assert table.total_task == 463000
    assert table.meta.stated_totals.task == 463000


def test_qianjiang_sidecar_cites_notice_annex1_and_2020_hukou() -> None:
    meta = load_table("qianjiang-2022").meta
    assert meta.method is Method.FIXED
    assert "黔江区" in meta.source.document and meta.source.annex.startswith("附件1")
    assert meta.population_base.kind == "户籍人口"
    assert meta.population_base.as_of == dt.date(2020, 12, 31)
    assert meta.incentive is not None and meta.incentive.per_person_yuan == Decimal(5)
    assert meta.reductions is None


def _meta(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "test-2022",
        "county": "测试县",
        "benefit_year": 2022,
        "title": "测试任务表",
        "region_label": "镇",
        "method": "fixed",
        "rounding": "none",
        "source": {"issuer": "测试县政府", "document": "《测试通知》", "annex": "附件1"},
        "population_base": {
            "kind": "户籍人口",
            "source": "统计局",
            "as_of": dt.date(2020, 12, 31),
            "citation": "注1",
        },
        "stated_totals": {"task": 300},
    }
    base.update(over)
    return base


def test_fixed_table_whose_stated_total_disagrees_is_an_error_naming_it() -> None:
    table = build_table(parse_meta(_meta(), "t"), "region,stated_task\n甲镇,100\n乙镇,199\n")
    assert [d.describe() for d in table.discrepancies] == ["test-2022 合计 参保任务数：表列 300，计算 299"]
    with pytest.raises(TaskTableError, match="test-2022"):
        check_consistent(table, strict=True)


def test_computed_table_reports_each_town_that_does_not_reproduce(tmp_path: Path) -> None:
    meta = _meta(method="base_times_rate", rounding="half_up", stated_totals={"task": 198})
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("region,base,rate,stated_task\n甲镇,100,99%,99\n乙镇,100,99%,100\n")
    yaml_path = tmp_path / "t.yaml"
    with yaml_path.open("w", encoding="utf-8") as fh:
        YAML(typ="safe", pure=True).dump(meta, fh)
    with pytest.raises(TaskTableError, match="乙镇") as info:
        load_table_files(csv_path, yaml_path)
    assert "甲镇" not in info.value.zh
    loose = load_table_files(csv_path, yaml_path, strict=False)
    assert [(d.region, d.stated, d.computed) for d in loose.discrepancies] == [("乙镇", 100, 99)]
    assert loose.total_task == 198  # computed tasks are used, the printed 100 is not


def test_sidecar_without_citation_or_with_misspelt_key_is_rejected() -> None:
    bad = _meta()
    bad["population_base"] = {"kind": "户籍人口", "source": "统计局", "as_of": "2020-12-31"}
    with pytest.raises(TaskTableError, match="citation"):
        parse_meta(bad, "t")
    with pytest.raises(TaskTableError, match="stated_total"):
        parse_meta(_meta(stated_total={"task": 1}), "t")


def test_table_rows_are_validated() -> None:
    meta = parse_meta(_meta(), "t")
    with pytest.raises(TaskTableError, match="重复"):
        build_table(meta, "region,stated_task\n甲镇,100\n甲镇,200\n")
    with pytest.raises(TaskTableError, match="非负整数"):
        build_table(meta, "region,stated_task\n甲镇,1e2\n")
    with pytest.raises(TaskTableError, match="列不符"):
        build_table(meta, "region,task\n甲镇,100\n")
    with pytest.raises(TaskTableError, match="没有"):
        load_table("nowhere-2022")


def test_rates_read_as_percent_or_fraction() -> None:
    assert parse_rate("99%") == Decimal("0.99")
    assert parse_rate("98.5%") == Decimal("0.985")
    assert parse_rate("0.985") == Decimal("0.985")
    for bad in ("101%", "-1%", "abc", "NaN"):
        with pytest.raises(TaskTableError):
            parse_rate(bad)
