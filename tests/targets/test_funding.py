"""Funding arithmetic: 昌吉 subsidy split, 濉溪 financing standard, totals by funder."""

from __future__ import annotations

from decimal import Decimal

import pytest

from urrbmi.targets.funding import (
    FinancingStandard,
    FundingError,
    aggregate_funding,
    check_split,
    split_by_ratio,
)

D = Decimal


def test_changji_2022_subsidy_660_is_488_central_73_2_region_98_8_county() -> None:
    shares = check_split(D(660), {"中央": D(488), "自治区": D("73.2"), "县市": D("98.8")})
    assert shares == {"中央": D(488), "自治区": D("73.2"), "县市": D("98.8")}
    assert sum(shares.values()) == D(660)
    with pytest.raises(FundingError, match="660"):
        check_split(D(660), {"中央": D(488), "自治区": D("73.2"), "县市": D("98.9")})


def test_split_by_ratio_rounds_to_fen_and_gives_residue_to_last_level() -> None:
    # DOMAIN: the centre pays 80% in the west; 610 × 80/10/10
    assert split_by_ratio(D(610), {"中央": D("0.8"), "省": D("0.1"), "县": D("0.1")}) == {
        "中央": D("488.00"),
        "省": D("61.00"),
        "县": D("61.00"),
    }
    # 100.01 × 0.333 = 33.30333 -> 33.30 twice; the county takes 100.01 − 66.60 = 33.41
    odd = split_by_ratio(D("100.01"), {"中央": D("0.333"), "省": D("0.333"), "县": D("0.334")})
    assert odd == {"中央": D("33.30"), "省": D("33.30"), "县": D("33.41")}
    with pytest.raises(FundingError):
        split_by_ratio(D(640), {"中央": D("0.6"), "省": D("0.2")})


def test_suixi_2022_financing_900_is_580_subsidy_plus_320_individual() -> None:
    standard = FinancingStandard(fiscal_subsidy=D(580), individual=D(320))
    assert standard.total == D(900)
    assert standard.check(D(900)) == D(900)
    with pytest.raises(FundingError):
        standard.check(D(910))


SUIXI_PER_PERSON = {
    "一般居民": {"财政补助": D(580), "个人缴费": D(320)},
    "特困人员": {"财政补助": D(580), "资助参保": D(320), "个人缴费": D(0)},
    "低保对象": {"财政补助": D(580), "资助参保": D(280), "个人缴费": D(40)},
    "返贫致贫人口": {"财政补助": D(580), "资助参保": D(250), "个人缴费": D(70)},
    "监测人口": {"财政补助": D(580), "资助参保": D(160), "个人缴费": D(160)},
}


def test_suixi_totals_by_funder_and_category_given_counts() -> None:
    counts = {"一般居民": 1000, "特困人员": 10, "低保对象": 20, "返贫致贫人口": 5, "监测人口": 30}
    totals = aggregate_funding(counts, SUIXI_PER_PERSON, per_person_total=D(900))
    assert totals.by_funder == {
        "财政补助": D(617700),  # 580 × 1065
        "个人缴费": D(325950),  # 320×1000 + 40×20 + 70×5 + 160×30
        "资助参保": D(14850),  # 320×10 + 280×20 + 250×5 + 160×30
    }
    assert totals.by_category["低保对象"] == D(18000)  # 900 × 20
    assert totals.cells[("监测人口", "资助参保")] == D(4800)
    assert totals.total == D(958500)  # 900 × 1065


def test_category_whose_payers_do_not_add_up_is_named() -> None:
    bad = SUIXI_PER_PERSON | {"低保对象": {"财政补助": D(580), "个人缴费": D(40)}}
    with pytest.raises(FundingError, match="低保对象"):
        aggregate_funding({"低保对象": 1}, bad, per_person_total=D(900))
    with pytest.raises(FundingError, match="学生"):
        aggregate_funding({"学生": 1}, SUIXI_PER_PERSON)
