"""What the compiled column plan implements: the schema fields and literal values it knows
(:data:`PLAN_KNOWS`), and :func:`unknown_to_plan`, which finds what a policy uses beyond them
(:mod:`urrbmi.batch.compile` then refuses it with :class:`NotCompiled`, and the policy is priced
by profiles)."""

from __future__ import annotations

from pydantic import BaseModel

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
