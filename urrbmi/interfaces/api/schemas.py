"""Response models (they document the API; money is an exact JSON number in yuan)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, WithJsonSchema

Yuan = Annotated[Decimal, WithJsonSchema({"type": "number", "description": "yuan, exact"})]


class ErrorDetail(BaseModel):
    code: str
    message: str
    message_en: str


class ErrorOut(BaseModel):
    error: ErrorDetail


class StepOut(BaseModel):
    step: str
    rule: str
    cite: str
    value: str | None = None
    assumed: str | None = None


class BenefitLimitsOut(BaseModel):
    outpatient_cap: Yuan | None
    inpatient_cap: Yuan | None
    critical_illness_deductible: Yuan | None


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
    policy: dict[str, object]
