"""A checked policy as the engines use it: :class:`LoadedPolicy`, the schema model with the
lookups the engine needs precomputed (made by :mod:`urrbmi.policy.checks`, read from files by
:mod:`urrbmi.policy.loader`, kept between processes by :mod:`urrbmi.policy.store`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from urrbmi.money import FEN
from urrbmi.policy import schema as s
from urrbmi.policy.categories import Vocabulary

ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}


def percent_of(percent: Decimal, base: Decimal, rounding: str) -> Decimal:
    return (base * percent / 100).quantize(FEN, rounding=rounding)


@dataclass(frozen=True)
class LoadedPolicy:
    """A checked policy, with lookups the engine needs precomputed."""

    model: s.Policy
    path: str
    version: str  # sha256 of the file(s) it was read from, first 12 hex digits
    subsidy_by_category: dict[str, s.Subsidy]  # category code -> subsidy rule
    class_codes: tuple[str, ...]
    category_rank: dict[str, tuple[int, int]]  # category code -> (rule index, position in rule)
    vocabulary: Vocabulary  # national + the directory's identities.yaml + the policy's own
    # clause -> rendered citation, filled as quotes cite (a quote cites 8-10 clauses)
    _cited: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def benefit_year(self) -> int:
        return self.model.benefit_year

    @property
    def identity_change(self) -> str | None:
        """ "no_difference", "retro_subsidy", or None where the notice is silent (a gap)."""
        ic = self.model.identity_change
        return ic.rule if isinstance(ic, s.IdentityChange) else None

    @property
    def rounding(self) -> str:
        return ROUNDING[self.model.rounding]

    def cite(self, clause: str) -> str:
        """Render a clause reference with its document: ``昌州医保发〔2022〕12号 三（二）``."""
        got = self._cited.get(clause)
        if got is None:
            got = self._cited[clause] = self._cite(clause)
        return got

    def _cite(self, clause: str) -> str:
        key, sep, rest = clause.partition(":")
        if sep and key in self.model.documents:
            doc, clause = self.model.documents[key], rest
        else:
            doc = self.model.documents["main"]
        return f"{doc.number or '《' + doc.title + '》'} {clause}"

    def rule_order(self, code: str) -> tuple[int, int]:
        """Where a category stands among the subsidy rules: (rule index, position in the rule);
        categories no rule names sort last. Breaks ties in 'highest identity wins'."""
        return self.category_rank.get(code, (len(self.model.subsidies), 0))

    def standard(self, person_class: str, tier: int) -> s.Amount | None:
        return self.model.standards.get(person_class, {}).get(tier)
