"""Compile a :class:`LoadedPolicy` into a column plan (:mod:`urrbmi.batch.ir`), once per policy.

The plan follows :func:`urrbmi.policy.engine.quote` step by step (its semantics are the
specification; the agreement tests compare the two row by row):

1. input checks (what :class:`ResidentInput` would refuse), unknown identity bits, tier;
2. eligibility by residence;
3. pathway = first pathway whose conditions hold (a ``when``/``then`` chain); a condition on the
   birth date with no birth date is ``missing_input``, as ``_holds`` raises it;
4. person class likewise; benefit period by class (graduates' extension);
5. money: every amount that depends only on (waived, class, tier, which reductions apply) is
   computed here with the scalar engine's own Decimal arithmetic (:func:`percent_of`) for each
   combination, and looked up per row by an integer key, so rounding cannot differ; per subsidy
   rule, the candidate amount capped at what remains; the highest wins, ties to the rule listed
   first, and within a rule to the category listed first;
6. fiscal portion for late pathways, unless an exemption covers the resident;
7. benefit start by the start rule (waiting exemptions replace waiting periods), never before
   the period start; ``no_benefit_period`` after its end; benefit limits by tier and identity.

Money is integer fen. Rows the scalar engine would refuse carry the same stable error code in
``error`` and null in every other result column.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel

from urrbmi.batch import ir
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
    not_,
    op,
    or_,
    table,
)
from urrbmi.policy import schema as s
from urrbmi.policy.identities import all_identities
from urrbmi.policy.loaded import LoadedPolicy, percent_of

# Integer codes of the coded input columns.
STUDENT_CODES = {"school": 1, "college": 2}  # 0 = not a student ("none")
RESIDENCE_CODES = {"hukou": 0, "permit": 1, "none": 2}  # null = not given
ERRORS = (
    "invalid_input",
    "missing_input",
    "unknown_category",
    "outside_window",
    "policy_gap",
    "no_benefit_period",
)
E = {name: i for i, name in enumerate(ERRORS)}

# Result columns (in order). Money columns are integer fen.
MONEY = (
    "standard_fen",
    "subsidy_fen",
    "individual_payment_fen",
    "fiscal_portion_due_fen",
    "total_due_fen",
)
LIMITS = ("outpatient_cap_fen", "inpatient_cap_fen", "critical_illness_deductible_fen")
OUTPUTS = (
    "policy",
    "error",
    "person_class",
    "tier",
    *MONEY[:2],
    "subsidy_category",
    "subsidy_funder",
    *MONEY[2:],
    "benefit_start",
    "benefit_end",
    "waiting_days",
    "window",
    *LIMITS,
)
# Columns that are categorical (Labels) in the result.
LABELS = ("policy", "error", "person_class", "subsidy_category", "subsidy_funder", "window")


def category_bits() -> dict[str, int]:
    """Category code -> bit number: its position among the national identities followed by
    those the policies on the search path define (:func:`urrbmi.policy.identities.all_identities`)."""
    return {c.code: i for i, c in enumerate(all_identities().categories)}


def fen(amount: Decimal) -> int:
    value = amount * 100
    if value != value.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of fen")
    return int(value)


def below_threshold(minimum: Decimal) -> float:
    """The smallest float ``t`` with ``Decimal(str(t)) >= minimum``: for every float ``x``,
    ``Decimal(str(x)) < minimum`` (the scalar engine's test) iff ``x < t``."""
    t = float(minimum)
    while Decimal(repr(math.nextafter(t, -math.inf))) >= minimum:
        t = math.nextafter(t, -math.inf)
    while Decimal(repr(t)) < minimum:
        t = math.nextafter(t, math.inf)
    return t


# The policy schema as this compiler implements it ("Model": "field field=literal|values ...";
# snapshot of urrbmi/policy/schema.py when the plan was last extended). A policy that sets a
# field, or a literal value, not listed here uses a rule kind written only in the scalar engine:
# :func:`compile_policy` refuses it (:class:`NotCompiled`) and :func:`urrbmi.batch.assess_frame`
# prices that policy by profiles (:mod:`urrbmi.batch.profiles`), correct by construction. A new
# rule kind is written once, in the engine; teaching it to the plan is an optional speed-up.
PLAN_KNOWS: dict[str, str] = {
    "Cited": "cite assumed",
    "Document": "number title issuer issued_on source",
    "Jurisdiction": "name code level=county|prefecture|province|town parent",
    "Gap": "cite assumed gap",
    "Condition": "student=college|none|school born_on_or_after born_before paid_from paid_to returning_migrant_worker newborn_within_days newborn_after_days newborn_guardian_enrolled employee_max_gap_months employee_min_gap_months employee_min_years categories_any residence=hukou|none|permit",  # noqa: E501
    "PersonClass": "cite assumed code=adult|college_student|minor|resident|student label when",
    "Amount": "cite assumed amount",
    "FundingShare": "level=central|county|district|prefecture|provincial|regional label amount",
    "FiscalSubsidy": "cite assumed amount year_label increase split",
    "FinancingTotal": "cite assumed amount fiscal individual",
    "IndividualAverage": "cite assumed amount increase",
    "ListValue": "source value",
    "Identity": "code same_as extends name en aliases certified_by low_income lists cite",
    "IdentitiesFile": "schema_version=1 identities",
    "StandardRef": "person_class tier",
    "FullRule": "kind=full",
    "AmountRule": "kind=amount amount by_class",
    "PaymentRule": "kind=payment amount by_class stated_subsidy",
    "PercentRule": "kind=percent percent of stated",
    "NoneRule": "kind=none reason",
    "GapRule": "kind=gap gap",
    "Departments": "cite assumed certified_by funded_by",
    "Subsidy": "cite assumed id categories notice_name names rule by_tier funder cite_by_tier departments",
    "Reduction": "cite assumed id label when percent",
    "MultipleIdentities": "cite assumed rule=highest as_of=payment|reference_date reference_date",
    "IdentityChange": "cite assumed rule=no_difference|retro_subsidy",
    "StartRule": "cite assumed kind=birth_date|next_day|next_month|payment_day|period_start|wait_days|wait_months days months",  # noqa: E501
    "Pathway": "cite assumed code label when start fiscal_portion_due contribution_waived",
    "AfterLastWindow": "cite assumed kind=deadline|gap text",
    "WaitingExemption": "cite assumed label when start",
    "FiscalPortionExemption": "cite assumed categories funder",
    "ClassPeriod": "cite assumed start end graduating_end",
    "BenefitPeriod": "cite assumed start end by_class",
    "Eligibility": "cite assumed residence=hukou|none|permit students_any_residence",
    "Limit": "cite assumed amount by_tier previous effective_from",
    "ReducedDeductible": "cite assumed amount categories",
    "CriticalIllness": "funding_per_capita funding_year_label deductible reduced_deductible",
    "Benefits": "outpatient_cap inpatient_cap inpatient_fund_ratio inpatient_fund_ratio_cite critical_illness",  # noqa: E501
    "Target": "cite assumed group=all|general|low_income|students unit=county|school|town|village rate categories within_window",  # noqa: E501
    "StagedDeadline": "cite assumed group categories by",
    "PopulationBase": "cite assumed source as_of as_of_label",
    "Targets": "rates staged_deadlines population_base task_total incentive_per_person annex",
    "Milestone": "cite assumed code label start end day_of_month",
    "Note": "cite assumed topic text",
    "OtherPremium": "cite assumed code label amount",
    "Policy": "schema_version=1 id extends jurisdiction benefit_year documents rounding=down|half_even|half_up eligibility tiers person_classes standards individual_average fiscal_subsidy financing_total other_premiums identities reductions subsidies_cite subsidies multiple_identities identity_change benefit_period pathways after_last_window waiting_exemptions fiscal_portion_exemptions benefits targets milestones notes gaps",  # noqa: E501
    "SubsidySchedule": "schema_version=1 kind=subsidy_schedule id jurisdiction benefit_year documents rounding=down|half_even|half_up tiers class_labels standards subsidies_cite subsidies gaps",  # noqa: E501
}


class NotCompiled(ValueError):
    """The policy uses a rule kind the column plan does not implement."""


def _known() -> dict[str, dict[str, frozenset[str] | None]]:
    out: dict[str, dict[str, frozenset[str] | None]] = {}
    for model, fields in PLAN_KNOWS.items():
        out[model] = {}
        for f in fields.split():
            name, _, values = f.partition("=")
            out[model][name] = frozenset(values.split("|")) if values else None
    return out


_KNOWN = _known()


def unknown_to_plan(node: object, where: str = "") -> list[str]:
    """The schema fields and values a policy model uses that the plan does not implement."""
    found: list[str] = []
    if isinstance(node, BaseModel):
        cls = type(node).__name__
        known = _KNOWN.get(cls)
        for name, info in type(node).model_fields.items():
            value = getattr(node, name)
            path = f"{where}.{name}" if where else name
            if known is None or name not in known:
                if value != info.get_default(call_default_factory=True):
                    found.append(f"{cls}.{name}")
                continue
            values = known[name]
            if values is not None and isinstance(value, str | int) and str(value) not in values:
                found.append(f"{cls}.{name}={value}")
            found += unknown_to_plan(value, path)
    elif isinstance(node, tuple | list):
        for item in node:
            found += unknown_to_plan(item, where)
    elif isinstance(node, dict):
        for item in node.values():
            found += unknown_to_plan(item, where)
    return found


class _Compiler:
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

    # --- conditions: (holds, raises missing_input) as in engine._holds -----------------

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

    # --- the plan ---------------------------------------------------------------------------

    def plan(self) -> ir.Plan:
        m, policy = self.model, self.policy
        stage1: list[tuple[str, Expr]] = []
        stage2: list[tuple[str, Expr]] = []

        # 1. input checks, in ResidentInput's field order, then unknown identities
        years = col("employee_years")
        ended = col("employee_ended_on")
        input_err = case(
            [
                (
                    not_(and_(op("not_null", col("tier")), is_in(col("tier"), (1, 2)))),
                    int_(E["invalid_input"]),
                ),
                (not_(op("coalesce", is_in(col("student"), (0, 1, 2)), FALSE)), int_(E["invalid_input"])),
                (op("is_null", col("graduating")), int_(E["invalid_input"])),
                (op("is_null", self.paid), int_(E["missing_input"])),
                (op("is_null", col("returning_migrant_worker")), int_(E["invalid_input"])),
                (op("ne", op("is_null", ended), op("is_null", years)), int_(E["missing_input"])),
                (
                    and_(op("not_null", years), or_(op("is_nan", years), op("lt", years, float_(0.0)))),
                    int_(E["invalid_input"]),
                ),
                (op("is_null", col("guardian_enrolled")), int_(E["invalid_input"])),
                (
                    op("coalesce", op("not", is_in(col("residence"), (0, 1, 2))), FALSE),
                    int_(E["invalid_input"]),
                ),
                (op("is_null", col("categories")), int_(E["invalid_input"])),
                (
                    op("bit_any", col("categories"), param=~((1 << len(self.bits)) - 1)),
                    int_(E["unknown_category"]),
                ),
                (not_(is_in(col("tier"), tuple(m.tiers))), int_(E["invalid_input"])),
            ],
            int_(None),
        )
        stage1.append(("_input_err", input_err))

        # 2. eligibility
        el = m.eligibility
        ok_res = is_in(col("residence"), tuple(RESIDENCE_CODES[x] for x in el.residence))
        if el.students_any_residence:
            ok_res = or_(ok_res, op("ne", col("student"), int_(0)))
        stage1.append(("_inelig", and_(op("not_null", col("residence")), not_(ok_res))))

        # 3. pathway
        pw_cols, pw_idx = self.first_match("pw", [p.when for p in m.pathways])
        stage1 += pw_cols
        # 4. person class
        pc_cols, pc_idx = self.first_match("pc", [c.when for c in m.person_classes])
        stage1 += pc_cols
        # 5a. reductions applied (bit j) and whether one raised missing_input
        red_terms: list[Expr] = []
        red_errs: list[Expr] = []
        for j, red in enumerate(m.reductions):
            holds, err = self.condition(red.when)
            red_terms.append(case([(holds, int_(1 << j))], int_(0)))
            red_errs.append(err)
        stage1.append(("_red", _sum(red_terms)))
        stage1.append(("_red_err", or_(*red_errs)))
        # 7a. waiting exemptions
        ex_cols, ex_idx = self.first_match("ex", [w.when for w in m.waiting_exemptions])
        stage1 += ex_cols

        stage2.append(("_pw", pw_idx))
        stage2.append(("_pc", pc_idx))
        stage2.append(("_ex", ex_idx))
        tiers = m.tiers
        stage2.append(
            ("_t", case([(op("eq", col("tier"), int_(t)), int_(i)) for i, t in enumerate(tiers)], int_(0)))
        )

        # --- stage 3: indices into the policy's tables
        stage3: list[tuple[str, Expr]] = []
        pw = col("_pw")
        pw_safe = op("max", pw, int_(0))
        pc_safe = op("max", col("_pc"), int_(0))
        waived = table([int(p.contribution_waived) for p in m.pathways], pw_safe)
        n_cls, n_t, k = len(m.person_classes), len(tiers), len(m.reductions)
        key = _sum(
            [
                _mul(waived, n_cls * n_t << k),
                _mul(pc_safe, n_t << k),
                _mul(col("_t"), 1 << k),
                col("_red"),
            ]
        )
        stage3.append(("_key", key))
        stage3.append(("_pw_safe", pw_safe))
        stage3.append(("_pc_safe", pc_safe))
        stage3.append(("_waived", waived))

        # --- stage 4: money per row
        stage4: list[tuple[str, Expr]] = []
        keys = self.money_tables()
        kk = col("_key")
        if len(keys.standard) > 4096:
            raise ValueError(f"policy {policy.id}: {len(keys.standard)} money combinations")
        rule_cols: list[Expr] = []
        for r, sub in enumerate(m.subsidies):
            bits = self.mask(sub.categories)
            values = keys.rules[r]
            if all(v < 0 for v in values):
                continue
            stage4.append((f"_cand{r}", case([(self.has_any(bits), table(values, kk))], int_(-1))))
            rule_cols.append(col(f"_cand{r}"))
        stage4.append(("_std", table(keys.standard, kk)))
        stage4.append(("_redamt", table(keys.reduction, kk)))
        gap_by_tier = [self.gap_bits(t) for t in tiers]
        stage4.append(("_sub_gap", self.has_any_by_tier(gap_by_tier)))
        # fiscal portion
        due = [int(p.fiscal_portion_due and not p.contribution_waived) for p in m.pathways]
        exempt = 0
        for fx in m.fiscal_portion_exemptions:
            exempt |= self.mask(fx.categories)
        fiscal_due = and_(op("eq", table(due, col("_pw_safe")), int_(1)), not_(self.has_any(exempt)))
        stage4.append(("_fiscal_due", fiscal_due))
        # benefit period
        bp = m.benefit_period
        starts, ends, grads = [], [], []
        for pc in m.person_classes:
            cp = bp.by_class.get(pc.code)
            starts.append((cp or bp).start)
            ends.append((cp or bp).end)
            grads.append(cp.graduating_end if cp is not None else None)
        stage4.append(("_pstart", _date_table(starts, col("_pc_safe"))))
        end_branches: list[tuple[Expr, Expr]] = [
            (and_(col("graduating"), op("eq", col("_pc_safe"), int_(i))), date_(g))
            for i, g in enumerate(grads)
            if g is not None
        ]
        stage4.append(("_pend", case(end_branches, _date_table(ends, col("_pc_safe")))))
        # start rule: the pathway's own, or the first waiting exemption's
        rules: list[s.StartRule] = [p.start for p in m.pathways] + [w.start for w in m.waiting_exemptions]
        n_pw = len(m.pathways)
        waits = [int(p.start.kind in ("wait_days", "wait_months")) for p in m.pathways]
        is_wait = op("eq", table(waits, col("_pw_safe")), int_(1))
        ex = col("_ex")
        stage4.append(
            (
                "_rule",
                case(
                    [(and_(is_wait, op("ge", ex, int_(0))), op("add", ex, int_(n_pw)))],
                    col("_pw_safe"),
                ),
            )
        )
        stage4.append(("_ex_err", and_(is_wait, op("eq", ex, int_(-2)))))

        # --- stage 5: best subsidy, start date
        stage5: list[tuple[str, Expr]] = []
        best = op("max", *rule_cols) if len(rule_cols) > 1 else (rule_cols[0] if rule_cols else int_(-1))
        stage5.append(("_best", best))
        start, waiting = self.start_exprs(rules)
        stage5.append(("_start0", start))
        stage5.append(("_waiting", waiting))

        # --- stage 6: winner, totals, errors
        stage6: list[tuple[str, Expr]] = []
        b = col("_best")
        name_branches: list[tuple[Expr, Expr]] = []
        funder_branches: list[tuple[Expr, Expr]] = []
        names: list[str] = []
        funders: list[str] = []
        for r, sub in enumerate(m.subsidies):
            if f"_cand{r}" not in {n for n, _ in stage4}:
                continue
            won = and_(op("ge", b, int_(0)), op("eq", col(f"_cand{r}"), b))
            for cname in sub.categories:
                cat = self.voc.resolve(cname)
                label = sub.names.get(cat.name, sub.notice_name)
                if label not in names:
                    names.append(label)
                name_branches.append(
                    (and_(won, self.has_any(1 << self.bits[cat.code])), int_(names.index(label)))
                )
            if sub.funder is not None:
                if sub.funder not in funders:
                    funders.append(sub.funder)
                funder_branches.append((won, int_(funders.index(sub.funder))))
            else:
                funder_branches.append((won, int_(None)))
        stage6.append(("_cat", case(name_branches, int_(None))))
        stage6.append(("_funder", case(funder_branches, int_(None))))
        subsidy = op("add", col("_redamt"), op("max", b, int_(0)))
        stage6.append(("_subsidy", subsidy))
        fs = m.fiscal_subsidy
        fiscal_amount = 0 if isinstance(fs, s.Gap) else fen(fs.amount)
        stage6.append(("_fiscal", case([(col("_fiscal_due"), int_(fiscal_amount))], int_(0))))
        start = op("max", col("_start0"), col("_pstart"))
        stage6.append(("_start", start))

        first_from = min((p.when.paid_from for p in m.pathways if p.when.paid_from), default=None)
        none_err: Expr = (
            int_(E["policy_gap"]) if m.after_last_window.kind == "gap" else int_(E["outside_window"])
        )
        if first_from is not None:
            none_err = case([(op("lt", self.paid, date_(first_from)), int_(E["outside_window"]))], none_err)
        error = case(
            [
                (op("not_null", col("_input_err")), col("_input_err")),
                (col("_inelig"), int_(E["invalid_input"])),
                (op("eq", pw, int_(-2)), int_(E["missing_input"])),
                (op("eq", pw, int_(-1)), none_err),
                (op("eq", col("_pc"), int_(-2)), int_(E["missing_input"])),
                (col("_red_err"), int_(E["missing_input"])),
                (col("_sub_gap"), int_(E["policy_gap"])),
                (
                    and_(col("_fiscal_due"), TRUE if isinstance(fs, s.Gap) else FALSE),
                    int_(E["policy_gap"]),
                ),
                (col("_ex_err"), int_(E["missing_input"])),
                (op("gt", start, col("_pend")), int_(E["no_benefit_period"])),
            ],
            int_(None),
        )
        stage6.append(("_err", error))

        # --- stage 7: results, null where there is an error
        stage7: list[tuple[str, Expr]] = []
        ok = op("is_null", col("_err"))

        def when_ok(x: Expr) -> Expr:
            return case([(ok, x)], NULL)

        std, sub_ = col("_std"), col("_subsidy")
        indiv = op("sub", std, sub_)
        others = sum(fen(o.amount) for o in m.other_premiums)
        total = op("add", op("add", indiv, col("_fiscal")), int_(others))
        out_cls = [c.code for c in m.person_classes]
        stage7 += [
            ("policy", ir.Labels((policy.id,), int_(0))),
            ("error", ir.Labels(ERRORS, col("_err"))),
            ("person_class", ir.Labels(tuple(out_cls), when_ok(col("_pc")))),
            ("tier", when_ok(col("tier"))),
            ("standard_fen", when_ok(std)),
            ("subsidy_fen", when_ok(sub_)),
            ("subsidy_category", ir.Labels(tuple(names), when_ok(col("_cat")))),
            ("subsidy_funder", ir.Labels(tuple(funders), when_ok(col("_funder")))),
            ("individual_payment_fen", when_ok(indiv)),
            ("fiscal_portion_due_fen", when_ok(col("_fiscal"))),
            ("total_due_fen", when_ok(total)),
            ("benefit_start", when_ok(col("_start"))),
            ("benefit_end", when_ok(col("_pend"))),
            ("waiting_days", when_ok(col("_waiting"))),
            ("window", ir.Labels(tuple(p.code for p in m.pathways), when_ok(col("_pw")))),
            *self.limits(when_ok),
        ]
        stages = (stage1, stage2, stage3, stage4, stage5, stage6, stage7)
        return ir.Plan(policy.id, tuple(tuple(st) for st in stages), OUTPUTS)

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


def compile_policy(policy: LoadedPolicy) -> ir.Plan:
    """The column plan of a policy (cache it: compiling takes a few milliseconds);
    :class:`NotCompiled` if the policy uses a rule kind the plan does not implement."""
    unknown = sorted(set(unknown_to_plan(policy.model)))
    if unknown:
        raise NotCompiled(f"policy {policy.id} uses {', '.join(unknown)}: not in the column plan")
    return _Compiler(policy).plan()


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
