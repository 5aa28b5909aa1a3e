"""The parts of the plan compiler (:mod:`urrbmi.batch.compile`): conditions as column
expressions (holds, raises ``missing_input``, as :func:`urrbmi.policy.conditions.holds`), the
money tables computed with the scalar engine's arithmetic, start rules and benefit limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from urrbmi.batch import ir
from urrbmi.batch.columns import RESIDENCE_CODES, STUDENT_CODES, below_threshold, category_bits, fen
from urrbmi.batch.ir import (
    FALSE,
    NULL,
    TRUE,
    Expr,
    and_,
    case,
    col,
    date_,
    float_,
    int_,
    is_in,
    op,
    or_,
    table,
)
from urrbmi.policy import schema as s
from urrbmi.policy.loaded import LoadedPolicy, percent_of


class _Parts:
    def __init__(self, policy: LoadedPolicy) -> None:
        self.policy = policy
        self.model = policy.model
        self.bits = category_bits()
        self.voc = policy.vocabulary
        missing = [c.code for c in self.voc.categories if c.code not in self.bits]
        if missing:  # a policy file read from outside the search path
            raise ValueError(f"identities {missing} of {policy.id} are not on URRBMI_POLICY_PATH")
        self.born = col("birth_date")
        self.paid = col("paid_on")

    def mask(self, names: tuple[str, ...]) -> int:
        out = 0
        for n in names:
            out |= 1 << self.bits[self.voc.code(n)]
        return out

    def has_any(self, bits: int) -> Expr:
        return op("bit_any", col("categories"), param=bits) if bits else FALSE

    # --- conditions: (holds, raises missing_input) as in policy.conditions.holds -----------------

    def condition(self, c: s.Condition) -> tuple[Expr, Expr]:
        year = self.model.benefit_year
        born, paid = self.born, self.paid
        student_ok: Expr = TRUE
        if c.student is not None:
            codes = tuple(STUDENT_CODES.get(k, 0) for k in c.student)
            student_ok = is_in(col("student"), codes)
        parts: list[Expr] = []
        err: Expr = FALSE
        if c.born_on_or_after is not None or c.born_before is not None:
            err = and_(student_ok, op("is_null", born))
            parts.append(op("not_null", born))
            if c.born_on_or_after is not None:
                parts.append(op("ge", born, date_(c.born_on_or_after)))
            if c.born_before is not None:
                parts.append(op("lt", born, date_(c.born_before)))
        if c.paid_from is not None:
            parts.append(op("ge", paid, date_(c.paid_from)))
        if c.paid_to is not None:
            parts.append(op("le", paid, date_(c.paid_to)))
        if c.returning_migrant_worker is not None:
            rmw = ir.Lit(c.returning_migrant_worker, "bool")
            parts.append(op("eq", col("returning_migrant_worker"), rmw))
        born_this_year = and_(op("not_null", born), op("eq", op("year", born), int_(year)))
        if c.newborn_within_days is not None or c.newborn_after_days is not None:
            parts.append(born_this_year)
            if c.newborn_within_days is not None:
                parts.append(op("le", paid, op("add_days", born, int_(c.newborn_within_days))))
                parts.append(op("ge", paid, born))
            if c.newborn_after_days is not None:
                parts.append(op("gt", paid, op("add_days", born, int_(c.newborn_after_days))))
        if c.newborn_guardian_enrolled is not None:
            parts.append(born_this_year)
            parts.append(op("eq", col("guardian_enrolled"), ir.Lit(c.newborn_guardian_enrolled, "bool")))
        if (
            c.employee_max_gap_months is not None
            or c.employee_min_gap_months is not None
            or c.employee_min_years is not None
        ):
            ended = col("employee_ended_on")
            parts.append(op("not_null", ended))
            parts.append(op("ge", paid, ended))
            if c.employee_max_gap_months is not None:
                limit = op("add_months", ended, param=c.employee_max_gap_months)
                parts.append(op("le", paid, limit))
            if c.employee_min_gap_months is not None:
                limit = op("add_months", ended, param=c.employee_min_gap_months)
                parts.append(op("gt", paid, limit))
            if c.employee_min_years is not None:
                t = below_threshold(c.employee_min_years)
                parts.append(op("ge", col("employee_years"), float_(t)))
        if c.categories_any is not None:
            parts.append(self.has_any(self.mask(c.categories_any)))
        if c.residence is not None:
            codes = tuple(RESIDENCE_CODES[x] for x in c.residence)
            parts.append(is_in(op("coalesce", col("residence"), int_(0)), codes))
        holds = and_(student_ok, *parts)
        if holds not in (TRUE, FALSE):
            holds = op("coalesce", holds, FALSE)
        return holds, err

    def first_match(
        self, prefix: str, conditions: list[s.Condition | None]
    ) -> tuple[list[tuple[str, Expr]], Expr]:
        """Columns for each condition and the index of the first that holds: -2 when a
        condition on the way raises missing_input, -1 when none holds."""
        cols: list[tuple[str, Expr]] = []
        branches: list[tuple[Expr, Expr]] = []
        for i, cond in enumerate(conditions):
            if cond is None:
                branches.append((TRUE, int_(i)))
                break
            holds, err = self.condition(cond)
            if err != FALSE:
                cols.append((f"_{prefix}{i}_err", err))
                branches.append((col(f"_{prefix}{i}_err"), int_(-2)))
            if holds not in (TRUE, FALSE):
                cols.append((f"_{prefix}{i}", holds))
                holds = col(f"_{prefix}{i}")
            branches.append((holds, int_(i)))
        return cols, case(branches, int_(-1))

    # --- helpers ---------------------------------------------------------------------------

    def gap_bits(self, tier: int) -> int:
        out = 0
        for sub in self.model.subsidies:
            rule = sub.rule if sub.rule is not None else (sub.by_tier or {})[tier]
            if isinstance(rule, s.GapRule):
                out |= self.mask(sub.categories)
        return out

    def has_any_by_tier(self, by_tier: list[int]) -> Expr:
        if len(set(by_tier)) == 1:
            return self.has_any(by_tier[0])
        return or_(
            *(and_(op("eq", col("_t"), int_(i)), self.has_any(bits)) for i, bits in enumerate(by_tier))
        )

    def money_tables(self) -> MoneyTables:
        """Standard, reduction and each rule's capped candidate (-1: none) for every key
        (waived, class, tier, reductions applied), with the scalar engine's arithmetic."""
        m, policy = self.model, self.policy
        k = len(m.reductions)
        out = MoneyTables([], [], [[] for _ in m.subsidies])
        for waived in (False, True):
            for pc in m.person_classes:
                for tier in m.tiers:
                    for applied in range(1 << k):
                        amount = policy.standard(pc.code, tier)
                        assert amount is not None
                        standard = Decimal(0) if waived else amount.amount
                        total = Decimal(0)
                        for j, red in enumerate(m.reductions):
                            if applied >> j & 1:
                                total += percent_of(red.percent, standard - total, policy.rounding)
                        base = standard - total
                        out.standard.append(fen(standard))
                        out.reduction.append(fen(total))
                        for r, sub in enumerate(m.subsidies):
                            got = self.rule_amount(sub, tier, pc, base)
                            out.rules[r].append(-1 if got is None else fen(min(got, base)))
        return out

    def rule_amount(self, sub: s.Subsidy, tier: int, pc: s.PersonClass, base: Decimal) -> Decimal | None:
        """As engine._rule_amount: None for kind none (and gap, raised per row instead)."""
        rule = sub.rule if sub.rule is not None else (sub.by_tier or {})[tier]
        if isinstance(rule, s.GapRule | s.NoneRule):
            return None
        if isinstance(rule, s.FullRule):
            return base
        if isinstance(rule, s.AmountRule):
            amt = rule.by_class[pc.code] if rule.by_class else rule.amount
            assert amt is not None
            return amt
        if isinstance(rule, s.PaymentRule):
            pay = rule.by_class[pc.code] if rule.by_class else rule.amount
            assert pay is not None
            return max(base - pay, Decimal(0))
        std = self.policy.standard(rule.of.person_class, rule.of.tier)
        assert std is not None
        return percent_of(rule.percent, std.amount, self.policy.rounding)

    def start_exprs(self, rules: list[s.StartRule]) -> tuple[Expr, Expr]:
        paid, rule = self.paid, col("_rule")
        start_b: list[tuple[Expr, Expr]] = []
        wait_b: list[tuple[Expr, Expr]] = []
        for i, sr in enumerate(rules):
            is_i = op("eq", rule, int_(i))
            if sr.kind == "period_start":
                start_b.append((is_i, col("_pstart")))
            elif sr.kind == "birth_date":
                start_b.append((is_i, self.born))
            elif sr.kind == "payment_day":
                start_b.append((is_i, paid))
            elif sr.kind == "next_day":
                start_b.append((is_i, op("add_days", paid, int_(1))))
            elif sr.kind == "next_month":
                start_b.append((is_i, op("add_months", op("month_start", paid), param=1)))
            elif sr.kind == "wait_days":
                assert sr.days is not None
                start_b.append((is_i, op("add_days", paid, int_(sr.days))))
                wait_b.append((is_i, int_(sr.days)))
            else:
                assert sr.months is not None
                later = op("add_months", paid, param=sr.months)
                start_b.append((is_i, later))
                wait_b.append((is_i, op("days_between", later, paid)))
        return case(start_b, NULL), case(wait_b, int_(0))

    def limits(self, when_ok: Callable[[Expr], Expr]) -> list[tuple[str, Expr]]:
        b = self.model.benefits
        tiers = self.model.tiers

        def by_tier(limit: s.Limit | s.Gap | None) -> list[int | None]:
            if not isinstance(limit, s.Limit):
                return [None for _ in tiers]
            if limit.amount is not None:
                return [fen(limit.amount) for _ in tiers]
            got = [(limit.by_tier or {}).get(t) for t in tiers]
            return [None if g is None else fen(g) for g in got]

        def pick(values: list[int | None]) -> Expr:
            return case([(op("eq", col("_t"), int_(i)), int_(v)) for i, v in enumerate(values)], int_(None))

        ded: Expr = int_(None)
        ci = b.critical_illness
        if ci is not None and ci.deductible is not None:
            ded = pick(by_tier(ci.deductible))
            rd = ci.reduced_deductible
            if rd is not None:
                ded = case([(self.has_any(self.mask(rd.categories)), int_(fen(rd.amount)))], ded)
        return [
            ("outpatient_cap_fen", when_ok(pick(by_tier(b.outpatient_cap)))),
            ("inpatient_cap_fen", when_ok(pick(by_tier(b.inpatient_cap)))),
            ("critical_illness_deductible_fen", when_ok(ded)),
        ]


@dataclass
class MoneyTables:
    standard: list[int]
    reduction: list[int]
    rules: list[list[int]]


def _sum(terms: list[Expr]) -> Expr:
    if not terms:
        return int_(0)
    out = terms[0]
    for t in terms[1:]:
        out = op("add", out, t)
    return out


def _mul(x: Expr, factor: int) -> Expr:
    if factor == 0 or x == int_(0):
        return int_(0)
    if isinstance(x, ir.Lit) and isinstance(x.value, int):
        return int_(x.value * factor)
    if isinstance(x, ir.Table):
        return table([v * factor for v in x.values], x.index)
    return x if factor == 1 else op("mul", x, param=factor)


def _date_table(values: list[dt.date], index: Expr) -> Expr:
    if len(set(values)) == 1:
        return date_(values[0])
    return case([(op("eq", index, int_(i)), date_(v)) for i, v in enumerate(values)], date_(values[-1]))
