"""The assessment's frames (docs/batch.md, "Campaign assessment"): the campaign's residents read
in one SQL query into a Polars frame (:func:`read_residents`), their exclusions, and their
assessment rows priced by distinct pricing profiles through the scalar engine
(:func:`price_frame`). No writes: :mod:`urrbmi.campaign.assess` runs them and writes the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from urrbmi.campaign.campaigns import Pricer, campaign_policy
from urrbmi.db.frames import is_postgres, read_frame
from urrbmi.db.models import (
    Campaign,
)
from urrbmi.policy.engine import history_key
from urrbmi.policy.loader import LoadedPolicy
from urrbmi.registry.regions import get_region, prefix

# Everything the engine and the ledger need, one row per resident of the region. Identities are
# aggregated in a derived table (one pass over memberships), not per resident.
_READ = """
SELECT r.id, r.birth_date, r.residence, r.student,
       CASE WHEN r.employee_insured THEN 1 ELSE 0 END,
       r.employee_insurance_ended_on, r.employee_insurance_years, r.status, r.died_on,
       CASE WHEN g.resident_id IS NULL THEN 0 ELSE 1 END,
       COALESCE(en.elsewhere, 0), en.enrolled_by, m.cats, t.tier, a.categories,
       CASE WHEN r.graduation_year = :year THEN 1 ELSE 0 END,
       CASE WHEN r.returning_migrant_year = :year THEN 1 ELSE 0 END, a.reason, {last}
FROM residents r
LEFT JOIN ({cats}) m ON m.resident_id = r.id
LEFT JOIN (SELECT resident_id,
                  MAX(CASE WHEN campaign_id = :cid THEN source END) AS enrolled_by,
                  MAX(CASE WHEN campaign_id IS NULL OR campaign_id <> :cid THEN 1 ELSE 0 END) AS elsewhere
           FROM enrollments WHERE benefit_year = :year AND status = 'enrolled'{narrow}
           GROUP BY resident_id) en ON en.resident_id = r.id
LEFT JOIN (SELECT DISTINCT resident_id FROM enrollments
           WHERE benefit_year = :year AND status = 'enrolled') g ON g.resident_id = r.guardian_id
{history}LEFT JOIN resident_tiers t ON t.campaign_id = :cid AND t.resident_id = r.id
LEFT JOIN assessments a ON a.campaign_id = :cid AND a.resident_id = r.id
WHERE r.region_code LIKE :prefix {only}
"""

# the enrollment history the national rule from 2025 reads (国办发〔2024〕38号; the same as
# campaigns.profile_columns' last_insured): the last earlier benefit year enrolled in resident
# insurance, ours, imported (上年参保名单) or reported. Joined only under a policy with a
# continuity rule: other campaigns do not pay for the pass over enrollments.
_HISTORY = """LEFT JOIN (SELECT resident_id, MAX(benefit_year) AS last_insured FROM enrollments
           WHERE benefit_year < :year AND status = 'enrolled' AND insurance_type = '390'{narrow}
           GROUP BY resident_id) h ON h.resident_id = r.id
"""

# identities valid on the day, one comma-joined text per resident, codes sorted and distinct
_PG_CATS = """SELECT resident_id, string_agg(DISTINCT category_code, ',' ORDER BY category_code) AS cats
FROM memberships WHERE valid_from <= :day AND (valid_to IS NULL OR valid_to >= :day){narrow}
GROUP BY resident_id"""
_SQLITE_CATS = """SELECT resident_id, group_concat(category_code, ',') AS cats
FROM (SELECT DISTINCT resident_id, category_code FROM memberships
      WHERE valid_from <= :day AND (valid_to IS NULL OR valid_to >= :day){narrow}
      ORDER BY resident_id, category_code)
GROUP BY resident_id"""

_READ_SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "birth_date": pl.Date,
    "residence": pl.String,
    "student": pl.String,
    "employee_insured": pl.Int8,
    "employee_ended_on": pl.Date,
    "employee_insurance_years": pl.Int64,
    "status": pl.String,
    "died_on": pl.Date,
    "guardian_enrolled": pl.Int8,
    "elsewhere": pl.Int8,
    "enrolled_by": pl.String,
    "cats": pl.String,
    "chosen_tier": pl.Int64,
    "a_categories": pl.String,
    "graduating": pl.Int8,  # the facts of the benefit year (campaigns.profile_columns)
    "returning_migrant": pl.Int8,
    "a_reason": pl.String,
    "last_insured": pl.Int64,
}


def read_residents(
    session: Session,
    c: Campaign,
    day: dt.date,
    *,
    only: Sequence[int] | None = None,
    changed_only: bool = False,
) -> pl.DataFrame:
    """The campaign region's residents as the engine and the ledger see them (one query)."""
    region = get_region(session, c.region_code)
    narrow = ""  # the same id filter inside the grouped derived tables (one resident: no full scan)
    if only is not None:
        narrow = " AND resident_id IN ({})".format(",".join(str(int(i)) for i in only) or "NULL")
    cats = (_PG_CATS if is_postgres(session) else _SQLITE_CATS).format(narrow=narrow)
    params: dict[str, Any] = {"year": c.benefit_year, "cid": c.id, "day": day, "prefix": prefix(region) + "%"}
    where = ""
    if changed_only:
        # a superset of the changed (SQLite does not promise group_concat's order): the exact
        # comparison is made in Polars on sorted codes
        where += f" AND (a.categories IS NULL OR COALESCE(m.cats, '') <> a.categories OR {_EMPLOYEE_MOVED})"
    if only is not None:
        # a handful of residents (one resident's change): literal integer ids, no parameter limit
        where += " AND r.id IN ({})".format(",".join(str(int(i)) for i in only) or "NULL")
    if not is_postgres(session):
        params["day"] = day.isoformat()
    uses_history = campaign_policy(c).model.continuity is not None
    sql = _READ.format(
        cats=cats,
        only=where,
        narrow=narrow,
        history=_HISTORY.format(narrow=narrow) if uses_history else "",
        last="h.last_insured" if uses_history else "NULL",
    )
    frame = read_frame(session, sql, params, _READ_SCHEMA)
    codes = pl.col("cats").fill_null("").str.split(",").list.eval(pl.element().filter(pl.element() != ""))
    return frame.with_columns(categories=codes.list.unique().list.sort().list.join(","))


# Residents who joined or left employee insurance since their assessment (a 人社 list, an end date
# given by CLI or API): a re-assessment of the changed takes them too (濉溪 六（四）, 丰都 四（三）)
_EMPLOYEE_MOVED = (
    "(CASE WHEN a.reason = 'employee_insurance' THEN 1 ELSE 0 END) <> "
    "(CASE WHEN r.employee_insured THEN 1 ELSE 0 END)"
)


def changed_since_assessed() -> pl.Expr:
    """Residents (as read by :func:`read_residents`) whose identities or employee insurance
    differ from their assessment's, or never assessed."""
    moved = (pl.col("a_reason").fill_null("") == "employee_insurance") != (pl.col("employee_insured") == 1)
    return pl.col("a_categories").is_null() | (pl.col("a_categories") != pl.col("categories")) | moved


# Residents not to be collected from, in the order the reasons are tested.
EXCLUSIONS = ("employee_insurance", "deceased", "moved_out", "enrolled_elsewhere")


def _exclusion(as_of: dt.date) -> pl.Expr:
    return (
        pl.when(pl.col("employee_insured") == 1)
        .then(pl.lit("employee_insurance"))
        .when((pl.col("status") == "deceased") | (pl.col("died_on") <= as_of))
        .then(pl.lit("deceased"))
        .when(pl.col("status") == "moved_out")
        .then(pl.lit("moved_out"))
        .when(pl.col("elsewhere") == 1)
        .then(pl.lit("enrolled_elsewhere"))
        .otherwise(None)
    )


_PROFILE = (
    "canon_birth",
    "categories",
    "tier",
    "student",
    "residence",
    "guardian_enrolled",
    "employee_ended_on",
    "employee_years",
    "graduating",
    "returning_migrant_worker",
    "last_insured",
)


def price_frame(
    c: Campaign, pricer: Pricer, residents: pl.DataFrame, as_of: dt.date, default_tier: int
) -> pl.DataFrame:
    """Assessment rows (the ``assessments`` table's columns) for ``residents`` as read by
    :func:`read_residents`, assessed as if paying on ``as_of``, in the input order.

    One engine (docs/decisions.md, "A rule kind is written once"): the residents to collect from
    are reduced to their distinct pricing profiles (birth date by the policy's boundaries,
    identities, tier, student, residence, guardian, employee insurance); the scalar engine
    quotes each profile once and every resident takes its profile's answer by a join. No second
    engine runs, so there is nothing to disagree."""
    df = residents.with_columns(
        reason=_exclusion(as_of),
        tier=pl.col("chosen_tier").fill_null(default_tier).cast(pl.Int8),
        guardian_enrolled=pl.col("guardian_enrolled") == 1,
        graduating=pl.col("graduating") == 1,
        returning_migrant_worker=pl.col("returning_migrant") == 1,
        employee_years=pl.when(pl.col("employee_ended_on").is_not_null())
        .then(pl.col("employee_insurance_years").fill_null(0).cast(pl.Float64))
        .otherwise(None),
    )
    births = df["birth_date"].unique().to_list()
    canon = {b: pricer.canonical_birth(b) for b in births if b is not None}
    lasts = df["last_insured"].unique().to_list()
    history = {y: history_key(pricer.policy, y) for y in lasts if y is not None}
    df = df.with_columns(
        canon_birth=pl.col("birth_date").replace_strict(canon, default=None, return_dtype=pl.Date),
        last_insured=pl.col("last_insured").replace_strict(history, default=None, return_dtype=pl.Int64),
    )
    profiles = df.filter(pl.col("reason").is_null()).select(_PROFILE).unique()
    priced: list[tuple[Any, ...]] = []
    for p in profiles.iter_rows():
        born, cats, tier, student, residence, guardian, ended, years, graduating, returning, last = p
        codes = tuple(x for x in cats.split(",") if x)
        facts = (residence, guardian, ended, years, graduating, returning, last)
        pr = pricer.price((born, codes, tier, student, as_of, *facts))
        priced.append(
            (
                *p,
                pr.error_code,
                pr.message,
                pr.person_class,
                pr.standard_fen,
                pr.subsidy_fen,
                pr.subsidy_category,
                subsidy_code(pricer.policy, pr.subsidy_category, cats),
                pr.individual_fen,
                pr.fiscal_fen,
                pr.total_due_fen,
                pr.benefit_start,
                pr.benefit_end,
                pr.window,
                pr.explanation_hash,
            )
        )
    answers = pl.DataFrame(
        priced,
        schema={
            **{k: df.schema[k] for k in _PROFILE},
            "error": pl.String,
            "message": pl.String,
            "person_class": pl.String,
            "standard_fen": pl.Int64,
            "subsidy_fen": pl.Int64,
            "subsidy_category": pl.String,
            "subsidy_category_code": pl.String,
            "individual_fen": pl.Int64,
            "fiscal_fen": pl.Int64,
            "total_due_fen": pl.Int64,
            "benefit_start": pl.Date,
            "benefit_end": pl.Date,
            "window": pl.String,
            "explanation_hash": pl.String,
        },
        orient="row",
    )
    joined = df.select("id", "reason", *_PROFILE).join(
        answers, on=list(_PROFILE), how="left", nulls_equal=True, maintain_order="left"
    )
    err = pl.col("error")
    quoted = pl.col("reason").is_null()
    ok = quoted & err.is_null()

    def when_ok(name: str) -> pl.Expr:
        return pl.when(ok).then(pl.col(name))

    return joined.select(
        campaign_id=pl.lit(c.id, dtype=pl.Int64),
        resident_id=pl.col("id"),
        policy_version=pl.lit(c.policy_version),
        as_of=pl.lit(as_of, dtype=pl.Date),
        status=pl.when(~quoted)
        .then(pl.lit("excluded"))
        .when(ok)
        .then(pl.lit("due"))
        .otherwise(pl.lit("error")),
        reason=pl.coalesce(pl.col("reason"), err),
        message=pl.when(quoted & err.is_not_null()).then(pl.col("message")),
        categories=pl.col("categories"),
        tier=pl.col("tier").cast(pl.Int64),
        person_class=when_ok("person_class"),
        standard_fen=when_ok("standard_fen"),
        subsidy_fen=when_ok("subsidy_fen"),
        subsidy_category=when_ok("subsidy_category"),
        subsidy_category_code=when_ok("subsidy_category_code"),
        individual_fen=when_ok("individual_fen"),
        fiscal_fen=when_ok("fiscal_fen"),
        total_due_fen=when_ok("total_due_fen"),
        benefit_start=when_ok("benefit_start"),
        benefit_end=when_ok("benefit_end"),
        window=when_ok("window"),
        explanation_hash=when_ok("explanation_hash"),
    )


def subsidy_code(policy: LoadedPolicy, label: str | None, categories: str) -> str | None:
    """The code (categories.yaml) of the identity a subsidy was granted for: ``label`` is the
    engine's ``subsidy_category`` (the notice's name for it), ``categories`` the resident's
    comma-joined codes. Within a rule the category listed first wins, as in both engines."""
    if label is None:
        return None
    voc = policy.vocabulary
    held = set(categories.split(","))
    for sub in policy.model.subsidies:
        for name in sub.categories:
            cat = voc.resolve(name)
            if cat.code in held and sub.names.get(cat.name, sub.notice_name) == label:
                return cat.code
    return None
