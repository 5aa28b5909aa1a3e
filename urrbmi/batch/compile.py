"""Compile a :class:`LoadedPolicy` into a column plan (:mod:`urrbmi.batch.ir`), once per policy.
Here: the plan, step by step; its columns and codes are :mod:`urrbmi.batch.columns`, its parts
(conditions, money tables, start rules, limits) :mod:`urrbmi.batch.compile_parts`, and what it
implements :mod:`urrbmi.batch.plan_knows`.

The plan follows :func:`urrbmi.policy.engine.quote` step by step (its semantics are the
specification; the agreement tests compare the two row by row):

1. input checks (what :class:`ResidentInput` would refuse), unknown identity bits, tier;
2. eligibility by residence;
3. pathway = first pathway whose conditions hold (a ``when``/``then`` chain); a condition on the
   birth date with no birth date is ``missing_input``, as ``conditions.holds`` raises it;
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

from urrbmi.batch import ir
from urrbmi.batch.columns import (
    ERRORS,
    LABELS,
    LIMITS,
    MONEY,
    OUTPUTS,
    RESIDENCE_CODES,
    STUDENT_CODES,
    E,
    below_threshold,
    category_bits,
    fen,
)
from urrbmi.batch.compile_parts import MoneyTables, _date_table, _mul, _Parts, _sum
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
from urrbmi.batch.plan_knows import PLAN_KNOWS, NotCompiled, unknown_to_plan
from urrbmi.policy import schema as s
from urrbmi.policy.loaded import LoadedPolicy

# names callers import from here (the compiler before the split, issue 16)
__all__ = ["ERRORS", "LABELS", "LIMITS", "MONEY", "OUTPUTS", "PLAN_KNOWS", "RESIDENCE_CODES"]
__all__ += ["STUDENT_CODES", "E", "MoneyTables", "NotCompiled", "below_threshold", "category_bits"]
__all__ += ["compile_policy", "fen", "unknown_to_plan"]


class _Compiler(_Parts):
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


def compile_policy(policy: LoadedPolicy) -> ir.Plan:
    """The column plan of a policy (cache it: compiling takes a few milliseconds);
    :class:`NotCompiled` if the policy uses a rule kind the plan does not implement."""
    unknown = sorted(set(unknown_to_plan(policy.model)))
    if unknown:
        raise NotCompiled(f"policy {policy.id} uses {', '.join(unknown)}: not in the column plan")
    return _Compiler(policy).plan()
