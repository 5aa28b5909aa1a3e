"""Shared helpers for policy tests: quote a resident in one call."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from urrbmi.policy import load_policy, quote
from urrbmi.policy.resident import ResidentInput
from urrbmi.policy.result import Quote


def q(policy_id: str, **fields: Any) -> Quote:
    """Quote under a policy; ``paid_on`` and dates may be ISO strings."""
    return quote(load_policy(policy_id), ResidentInput.parse(fields))


def D(x: str | int) -> Decimal:
    return Decimal(str(x))
