"""Rule kinds from notices elsewhere (DOMAIN.md), written as data in a fixture policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from quote_helpers import D, q

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URRBMI_POLICY_PATH", str(FIXTURES))


def test_percent_gives_exact_non_integer_amount() -> None:
    r = q("example-2025", paid_on="2024-10-01", categories=["低保对象"])
    assert (r.subsidy, r.individual_payment) == (D("262.5"), D("87.5"))


def test_other_premium_collected_alongside() -> None:
    r = q("example-2025", paid_on="2024-10-01")
    assert (r.individual_payment, r.total_due) == (D(350), D(380))


def test_two_stage_reduction_then_assistance_on_the_remainder() -> None:
    r = q("example-2025", paid_on="2024-10-01", categories=["重度残疾人"])
    # 350 halved to 175; then 50% of 350 (175) is capped at the remaining 175
    assert (r.subsidy, r.individual_payment) == (D(350), D(0))
    steps = [s.step for s in r.explanation]
    assert steps.index("reduction") < steps.index("subsidy")


def test_non_residents_pay_the_fiscal_portion() -> None:
    r = q("example-2025", paid_on="2024-10-01", residence="none")
    assert (r.fiscal_portion_due, r.total_due) == (D(700), D(1080))
    assert q("example-2025", paid_on="2024-10-01", residence="hukou").fiscal_portion_due == 0
