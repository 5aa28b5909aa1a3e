"""Year-over-year comparison, checked against Qianjiang's 附件2
(2021年与2022年特殊困难群体参保资助类别及标准对比表) cell by cell."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from urrbmi.errors import PolicyFileError, UnknownPolicy
from urrbmi.interfaces.api import create_app
from urrbmi.interfaces.cli import main
from urrbmi.policy import compare as cmp


@pytest.fixture(scope="module")
def qj() -> cmp.Comparison:
    return cmp.compare_years("500114", 2021, 2022)


def _row(c: cmp.Comparison, code_name: str) -> cmp.ComparisonRow:
    return next(r for r in c.rows if r.category_name == code_name)


def _amounts(side: cmp.Side | None) -> list[Decimal | None]:
    assert side is not None
    return [r.amount for r in side.rules]


def test_2021_side_comes_from_the_annex_schedule_and_2022_from_the_full_policy(qj: cmp.Comparison) -> None:
    assert qj.before.id == "qianjiang-2021" and qj.after.id == "qianjiang-2022"
    assert qj.jurisdiction == "重庆市黔江区"


def test_annex2_row1_tekun_100_percent_both_years_320_in_2022(qj: cmp.Comparison) -> None:
    # 附件2 第1行: 特困人员 区民政局 区医保局 居民医保一档100%资助，二档按一档标准全额资助 (both years)
    r = _row(qj, "特困人员")
    assert r.change == "unchanged"
    assert r.before and r.after
    assert (r.before.certified_by, r.before.funded_by) == ("区民政局", "区医保局")
    assert (r.after.certified_by, r.after.funded_by) == ("区民政局", "区医保局")
    assert r.before.texts == r.after.texts == ("按一档标准的100%资助", "按一档标准全额资助")
    assert _amounts(r.after) == [Decimal(320), Decimal(320)]  # 二（一）: 100%（320元）
    assert _amounts(r.before) == [None, None]  # 2021 standard not in the seeds


def test_annex2_row2_dibao_cut_from_100_to_90_percent_288(qj: cmp.Comparison) -> None:
    # 2022: 一档90%资助（二（一）: 288元）；2021: blank cell merged with 特困 (documented assumption)
    r = _row(qj, "低保对象")
    assert r.change == "changed" and r.changed_fields == ("rule",)
    assert r.after and r.after.texts[0] == "按一档标准的90%资助"
    assert _amounts(r.after) == [Decimal(288), Decimal(320)]
    assert r.before and r.before.texts[0] == "按一档标准的100%资助"
    assert any("合并单元格" in a for a in r.before.assumed)


@pytest.mark.parametrize(
    ("name", "certified_by"),
    [
        ("低保边缘户", "区民政局"),
        ("返贫致贫人口", "区乡村振兴局"),
        ("脱贫不稳定户", "区乡村振兴局"),
        ("边缘易致贫户", "区乡村振兴局"),
        ("突发严重困难户", "区乡村振兴局"),
    ],
)
def test_annex2_rows3_to_7_new_low_income_groups_70_percent_224(
    qj: cmp.Comparison, name: str, certified_by: str
) -> None:
    r = _row(qj, name)
    assert r.change == "added" and r.before is None and r.after
    assert r.after.certified_by == certified_by and r.after.funded_by == "区医保局"
    assert r.after.texts == ("按一档标准的70%资助", "按一档标准全额资助")
    assert _amounts(r.after) == [Decimal(224), Decimal(320)]


def test_annex2_row8_stable_out_of_poverty_new_100_yuan_from_finance(qj: cmp.Comparison) -> None:
    # 8.稳定脱贫人口 区财政局 居民医保一档和二档都按100元/人.年资助
    r = _row(qj, "稳定脱贫人口")
    assert r.change == "added" and r.after
    assert (r.after.certified_by, r.after.funded_by) == ("区乡村振兴局", "区财政局")
    assert _amounts(r.after) == [Decimal(100), Decimal(100)]


@pytest.mark.parametrize(
    ("name", "name_2021", "name_2022", "certified_by"),
    [
        ("重度残疾人", "一、二级残疾人", "重度（1-2级）残疾人", "区残联"),
        (
            "重点优抚对象",
            "在乡重点优抚对象(不含1-6级残疾军人)",
            "在乡重点优抚对象（不含1-6级残疾军人）",
            "区退役军人事务局",
        ),
        ("家庭经济困难在校大学生", "困难大学生", "家庭经济困难在校大学生", "所在高校"),
        (
            "因病致贫家庭重病患者",
            "因病致贫家庭重病患者",
            "因病致贫家庭重病患者",
            "乡镇街道认定，区医保局备案审核",
        ),
    ],
)
def test_annex2_rows_9_to_12_unchanged_70_percent_under_either_name(
    qj: cmp.Comparison, name: str, name_2021: str, name_2022: str, certified_by: str
) -> None:
    r = _row(qj, name)
    assert r.change == "unchanged"
    assert r.before and r.after
    assert (r.before.notice_name, r.after.notice_name) == (name_2021, name_2022)
    assert r.before.certified_by == r.after.certified_by == certified_by
    assert _amounts(r.after) == [Decimal(224), Decimal(320)]


def test_2021_groups_dropped_in_2022(qj: cmp.Comparison) -> None:
    # 2021: 3.民政建档人员 (70%) and 4.农村建档立卡贫困户 (一档个人缴费标准的70%, 区乡村振兴局)
    removed = {r.category_name: r for r in qj.rows if r.change == "removed"}
    assert set(removed) == {"民政部门建档其他人员", "建档立卡低收入人口"}
    poor = removed["建档立卡低收入人口"].before
    assert poor and poor.notice_name == "农村建档立卡贫困户" and poor.funded_by == "区乡村振兴局"
    assert poor.texts == ("按一档标准的70%资助", "按一档标准的70%资助")


def test_unknown_2021_standard_is_named_not_guessed(qj: cmp.Comparison) -> None:
    assert qj.gaps == ("2021年居民医保一档个人缴费标准未载于种子通知（附件2只列资助比例）",)
    assert len(qj.rows) == 14  # 12 groups of 2022 + 2 dropped 2021 groups


def test_missing_year_is_a_clear_error() -> None:
    with pytest.raises(UnknownPolicy) as err:
        cmp.compare_years("500114", 2020, 2022)
    assert "2020" in err.value.zh


def test_schedule_file_on_the_policy_path_with_unknown_category_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = Path(cmp.__file__).parent / "schedules" / "qianjiang-2021.yaml"
    (tmp_path / "schedules").mkdir()
    bad = tmp_path / "schedules" / "qianjiang-2020.yaml"
    bad.write_text(
        src.read_text("utf-8")
        .replace("id: qianjiang-2021", "id: qianjiang-2020")
        .replace("benefit_year: 2021", "benefit_year: 2020")
        .replace("categories: [特困人员]", "categories: [不存在的身份]"),
        "utf-8",
    )
    monkeypatch.setenv("URRBMI_POLICY_PATH", str(tmp_path))
    assert "qianjiang-2020" in cmp.schedule_ids()
    with pytest.raises(Exception) as err:
        cmp.load_schedule("qianjiang-2020")
    assert "不存在的身份" in str(err.value)
    bad.write_text(
        src.read_text("utf-8").replace("cite: 附件2\n", "cite: 附件2\n  extra_field: 1\n", 1), "utf-8"
    )
    with pytest.raises(PolicyFileError):
        cmp.load_schedule("qianjiang-2020")


def test_excel_has_the_annex_shape(qj: cmp.Comparison, tmp_path: Path) -> None:
    path = cmp.write_xlsx(qj, tmp_path / "cmp.xlsx")
    ws = load_workbook(path).active
    assert ws is not None
    assert ws["A1"].value == "重庆市黔江区2021年与2022年特殊困难群体参保资助类别及标准对比表"
    assert [c.value for c in ws[2]][:5] == [
        "序号",
        "2021年人员类别",
        "认定部门",
        "参保资助部门",
        "2021年资助标准",
    ]
    dibao = next(row for row in ws.iter_rows(min_row=3, values_only=True) if row[1] == "低保对象")
    assert dibao[8] == "一档：按一档标准的90%资助（288元）；二档：按一档标准全额资助（320元）"
    assert dibao[9] == "调整"


def test_cli_json_and_api_agree(qj: cmp.Comparison) -> None:
    out = CliRunner().invoke(main, ["policy", "compare", "500114", "2021", "2022", "--json"])
    assert out.exit_code == 0, out.output
    cli = json.loads(out.output)
    api = TestClient(create_app()).get(
        "/api/v1/policy-comparisons", params={"jurisdiction": "500114", "before": 2021, "after": 2022}
    )
    assert api.status_code == 200
    assert api.json() == cli
    dibao = next(r for r in cli["rows"] if r["category_name"] == "低保对象")
    assert dibao["after"]["rules"][0]["amount"] == 288
    bad = TestClient(create_app()).get(
        "/api/v1/policy-comparisons", params={"jurisdiction": "x", "before": 1, "after": 2}
    )
    assert bad.status_code == 422


@pytest.mark.parametrize(
    "policy_id", ["changji-2023", "fengdu-shetan-2023", "taixing-2022", "suixi-2022", "qianjiang-2022"]
)
def test_every_seed_policy_compared_with_itself_is_unchanged_with_exact_amounts(policy_id: str) -> None:
    sch = cmp.load_schedule(policy_id)
    c = cmp.compare(sch, sch)
    assert c.rows and all(r.change == "unchanged" for r in c.rows)
    for r in c.rows:
        assert r.after is not None
        for rule in r.after.rules:
            assert rule.amount is None or rule.amount >= 0
