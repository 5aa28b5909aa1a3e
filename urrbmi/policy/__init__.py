"""Policy engine: local notices as data (policies/*.yaml) and the engine that quotes residents.

Public API::

    from urrbmi.policy import load_policy, policy_ids, quote, ResidentInput
    policy = load_policy("suixi-2022")
    q = quote(policy, ResidentInput.parse({"paid_on": "2021-11-01", "categories": ["低保对象"]}))
"""

from urrbmi.policy.engine import quote
from urrbmi.policy.loader import (
    LoadedPolicy,
    load_policy,
    load_policy_file,
    policy_for,
    policy_ids,
)
from urrbmi.policy.resident import ResidentInput
from urrbmi.policy.result import Quote, Step

__all__ = [
    "LoadedPolicy",
    "Quote",
    "ResidentInput",
    "Step",
    "load_policy",
    "load_policy_file",
    "policy_for",
    "policy_ids",
    "quote",
]
