"""Response models (they document the API and every JSON answer goes through one; money is an
exact JSON number in yuan)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from urrbmi.policy.schema import Policy


def json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number: ``35`` stays an integer, ``320.00`` becomes the shortest float
    (``320.0``), which is the same number for up to 15 significant digits."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return int(value)
    return float(value)


def exact_number(value: Decimal) -> int | float:
    """Money as a JSON number, refused rather than rounded if a float cannot hold it exactly
    (more than 15 significant digits: over a trillion yuan to the fen)."""
    number = json_number(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"{value} has more digits than a JSON number keeps exactly")
    return number


Yuan = Annotated[
    Decimal,
    PlainSerializer(exact_number, return_type=int | float, when_used="json"),
    WithJsonSchema({"type": "number", "description": "元（精确）/ yuan, exact"}),
]
Ratio = Annotated[
    Decimal,
    PlainSerializer(json_number, return_type=int | float, when_used="json"),
    WithJsonSchema({"type": "number", "description": "比率（0.95 即 95%）/ a fraction"}),
]


def no_value(value: object) -> bool:
    """For ``Field(exclude_if=no_value)``: an optional key left out of the JSON when it has no value."""
    return value is None


Instant = Annotated[
    str, WithJsonSchema({"type": "string", "format": "date-time", "description": "RFC 3339, with offset"})
]


class JSONOut(JSONResponse):
    """The API's JSON: UTF-8 text with ``", "`` and ``": "`` separators (what the response models
    serialise is rendered as is)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False).encode("utf-8")


class Out(BaseModel):
    """A response model that reads a service's dataclass or ORM row by attribute."""

    model_config = ConfigDict(from_attributes=True)


class ErrorDetail(BaseModel):
    code: str
    message: str
    message_en: str


class ErrorOut(BaseModel):
    error: ErrorDetail


class StepOut(BaseModel):
    """One step of an explanation; ``value`` and ``assumed`` are left out when the step has none."""

    step: str
    rule: str
    cite: str
    value: str | None = Field(None, exclude_if=no_value)
    assumed: str | None = Field(None, exclude_if=no_value)


class BenefitLimitsOut(BaseModel):
    outpatient_cap: Yuan | None
    inpatient_cap: Yuan | None
    critical_illness_deductible: Yuan | None


class StagesOut(BaseModel):
    """The amount due stage by stage (yuan): standard, first-stage reduction, assistance (the
    subsidy after the reduction), fiscal portion due, other premiums, total."""

    standard: Yuan
    reduction: Yuan
    assistance: Yuan
    fiscal_portion_due: Yuan
    other_premiums: Yuan
    total_due: Yuan


class QuoteOut(BaseModel):
    policy: str
    person_class: str
    tier: int
    standard: Yuan
    subsidy: Yuan
    subsidy_category: str | None
    subsidy_funder: str | None
    individual_payment: Yuan
    fiscal_portion_due: Yuan
    total_due: Yuan
    benefit_start: str
    benefit_end: str
    waiting_days: int
    window: str
    benefit_limits: BenefitLimitsOut
    stages: StagesOut
    explanation: list[StepOut]


class PolicyBrief(BaseModel):
    id: str
    jurisdiction: str
    jurisdiction_code: str | None
    benefit_year: int
    document: str
    version: str


class PolicyDetail(PolicyBrief):
    summary: str
    policy: Policy = Field(description="政策文件（结构见 docs/policy-schema.json）/ the policy file")


class ScheduleRef(BaseModel):
    policy_id: str
    benefit_year: int


class TierRuleOut(BaseModel):
    tier: int
    text: str
    amount: Yuan | None
    missing: str | None


class ComparisonSide(BaseModel):
    policy_id: str
    notice_name: str
    certified_by: str | None
    funded_by: str | None
    rules: list[TierRuleOut]
    cite: str
    assumed: list[str]


class ComparisonRow(BaseModel):
    category_code: str
    category_name: str
    change: Literal["added", "removed", "changed", "unchanged"]
    change_zh: str
    changed_fields: list[str]
    before: ComparisonSide | None
    after: ComparisonSide | None


class ComparisonOut(BaseModel):
    """Two years' subsidy categories and standards side by side (policy/compare.py)."""

    jurisdiction: str
    before: ScheduleRef
    after: ScheduleRef
    rows: list[ComparisonRow]
    gaps: list[str]
