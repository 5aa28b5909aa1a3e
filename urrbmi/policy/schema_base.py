"""The building blocks of the policy schema (:mod:`urrbmi.policy.schema`): strict frozen models,
money, citations, documents, the jurisdiction, gaps and the conditions on a resident."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Percent = Annotated[Decimal, Field(ge=0, le=100)]
Tier = Annotated[int, Field(ge=1, le=2)]
StudentKind = Literal["school", "college", "none"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Cited(_Model):
    cite: str = Field(min_length=1)
    assumed: str | None = None


# --- documents and jurisdiction ----------------------------------------------------------


class Document(_Model):
    number: str | None = None  # 文号, e.g. 昌州医保发〔2022〕12号; None when the text gives none
    title: str
    issuer: str
    issued_on: dt.date | None = None
    source: str | None = None  # where the text was published


class Jurisdiction(_Model):
    name: str
    code: str | None = Field(default=None, pattern=r"^\d{6}(\d{3})?$")  # GB/T 2260 (+ town)
    level: Literal["province", "prefecture", "county", "town"]
    parent: str | None = None


class Gap(Cited):
    """A rule the notice leaves undefined or to other documents."""

    gap: str  # what is missing, in Chinese, e.g. 通知称“以文件规定为准”，未载明金额


# --- who pays which standard ---------------------------------------------------------------


class Condition(_Model):
    """Conditions on the resident and the payment; all present fields must hold."""

    student: tuple[StudentKind, ...] | None = None
    born_on_or_after: dt.date | None = None
    born_before: dt.date | None = None
    paid_from: dt.date | None = None
    paid_to: dt.date | None = None
    returning_migrant_worker: bool | None = None
    newborn_within_days: int | None = Field(default=None, ge=1)
    newborn_after_days: int | None = Field(default=None, ge=1)
    newborn_guardian_enrolled: bool | None = None
    # newborn conditions count births from this day (default: 1 January of the benefit year),
    # e.g. a newborn of the last quarter paying for the birth year and the next in one go
    newborn_born_from: dt.date | None = None
    employee_max_gap_months: int | None = Field(default=None, ge=0)
    employee_min_gap_months: int | None = Field(default=None, ge=0)  # gap strictly longer
    employee_min_years: Decimal | None = Field(default=None, ge=0)
    employee_max_gap_days: int | None = Field(default=None, ge=0)  # gap counted in days
    employee_min_gap_days: int | None = Field(default=None, ge=0)  # gap strictly longer
    categories_any: tuple[str, ...] | None = None
    categories_all: tuple[str, ...] | None = None  # holds every one (e.g. 低保对象 and 重度残疾人)
    residence: tuple[Literal["hukou", "permit", "none"], ...] | None = None
    # age bands beyond the fixed person classes: whole years of age on ``age_on`` (default: the
    # first day of the benefit year); combine with categories_any for "members over 60"
    age_at_least: int | None = Field(default=None, ge=0)
    age_below: int | None = Field(default=None, ge=1)
    age_on: dt.date | None = None
    # a student newly enrolled this academic year (入学新生), e.g. first-year college students
    new_student: bool | None = None
