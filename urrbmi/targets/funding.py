"""Funding arithmetic (筹资): fiscal subsidy split by government level, financing per person,
totals by funder and category. Exact Decimal yuan throughout (urrbmi.money)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from urrbmi.errors import InvalidInput
from urrbmi.money import FEN, ZERO, round_fen, yuan


class FundingError(InvalidInput):
    code = "funding"
    http_status = 422


def _sum(values: Mapping[str, Decimal]) -> Decimal:
    return sum(values.values(), ZERO)


def check_split(total: Decimal, shares: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """A split stated by a notice, checked to add up exactly (昌吉 2022: 660 = 488 中央 + 73.2
    自治区 + 98.8 县市). Returns the shares as exact Decimals; raises when they do not add up."""
    exact = {level: yuan(amount) for level, amount in shares.items()}
    if any(v < 0 for v in exact.values()):
        raise FundingError("分担额不能为负", "a share cannot be negative")
    if _sum(exact) != yuan(total):
        parts = " + ".join(f"{k} {v}" for k, v in exact.items())
        raise FundingError(
            f"各级分担之和 {_sum(exact)}（{parts}）不等于 {total}",
            f"shares add up to {_sum(exact)} ({parts}), not {total}",
        )
    return exact


def split_by_ratio(total: Decimal, ratios: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Split ``total`` by ratios that add up to exactly 1 (e.g. 中央 0.6, 省 0.2, 县 0.2).

    Each share is rounded half-up to the fen; the rounding residue goes to the last level listed
    (usually the county, which pays what is left), so the shares always add up to ``total``.
    """
    if not ratios:
        raise FundingError("没有分担比例", "no ratios given")
    if sum(ratios.values(), ZERO) != 1 or any(r < 0 for r in ratios.values()):
        raise FundingError("分担比例之和应为1", "ratios must be non-negative and add up to 1")
    levels = list(ratios)
    out = {level: round_fen(yuan(total) * ratios[level]) for level in levels[:-1]}
    out[levels[-1]] = yuan(total) - _sum(out)
    return out


@dataclass(frozen=True)
class FinancingStandard:
    """Financing per person per year: fiscal subsidy plus individual contribution
    (濉溪 2022: 900 = 580 + 320)."""

    fiscal_subsidy: Decimal
    individual: Decimal

    @property
    def total(self) -> Decimal:
        return yuan(self.fiscal_subsidy) + yuan(self.individual)

    def check(self, stated_total: Decimal) -> Decimal:
        if self.total != yuan(stated_total):
            raise FundingError(
                f"筹资标准 {stated_total} 不等于财政补助 {self.fiscal_subsidy} + 个人缴费 {self.individual}",
                f"financing {stated_total} != subsidy {self.fiscal_subsidy} + individual {self.individual}",
            )
        return self.total


@dataclass(frozen=True)
class FundingTotals:
    by_funder: dict[str, Decimal]
    by_category: dict[str, Decimal]
    cells: dict[tuple[str, str], Decimal]  # (category, funder) -> amount
    total: Decimal


def aggregate_funding(
    counts: Mapping[str, int],
    per_person: Mapping[str, Mapping[str, Decimal]],
    *,
    per_person_total: Decimal | None = None,
) -> FundingTotals:
    """Totals by funder and by category, given enrolled counts per category and, per category,
    the amount each funder pays per person (财政补助, 医疗救助资助, 个人缴费...).

    ``per_person_total``, when given, checks that each category's amounts add up to the
    financing standard (a category whose payers do not add up is an error naming it).
    """
    unknown = [c for c in counts if c not in per_person]
    if unknown:
        raise FundingError(f"没有以下类别的人均标准：{unknown}", f"no per-person amounts for {unknown}")
    by_funder: dict[str, Decimal] = {}
    by_category: dict[str, Decimal] = {}
    cells: dict[tuple[str, str], Decimal] = {}
    for category, count in counts.items():
        if count < 0:
            raise FundingError(f"“{category}”人数为负", f"{category}: negative count")
        amounts = {f: yuan(a) for f, a in per_person[category].items()}
        if per_person_total is not None and _sum(amounts) != yuan(per_person_total):
            raise FundingError(
                f"“{category}”各方人均之和 {_sum(amounts)} 不等于筹资标准 {per_person_total}",
                f"{category}: per-person amounts add up to {_sum(amounts)}, not {per_person_total}",
            )
        for funder, amount in amounts.items():
            value = (amount * count).quantize(FEN)
            cells[(category, funder)] = value
            by_funder[funder] = by_funder.get(funder, ZERO) + value
            by_category[category] = by_category.get(category, ZERO) + value
    return FundingTotals(by_funder, by_category, cells, _sum(by_funder))
