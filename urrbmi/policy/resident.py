"""What the engine needs to know about one resident to quote them (the quote command's input)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from urrbmi.errors import InvalidInput, MissingInput

Student = Literal["school", "college"]
Residence = Literal["hukou", "permit", "none"]


class EmployeeInsurance(BaseModel):
    """Someone leaving employee basic medical insurance (职工医保)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    ended_on: dt.date
    years: float = Field(ge=0)


class ResidentInput(BaseModel):
    """One resident as the quote command reads it. All fields optional except ``paid_on``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id_number: str | None = None
    birth_date: dt.date | None = None
    categories: tuple[str, ...] = ()
    tier: int = Field(default=1, ge=1, le=2)
    student: Student | None = None
    graduating: bool = False
    new_student: bool = False  # newly enrolled this academic year (入学新生)
    paid_on: dt.date
    returning_migrant_worker: bool = False
    employee_insurance: EmployeeInsurance | None = None
    guardian_enrolled: bool = False
    residence: Residence | None = None
    # enrollment history (the national rule from 2025): benefit years the resident was insured
    # before, from the registry; None = not known. Years of contributions paid to repair a lapse.
    insured_years: tuple[int, ...] | None = None
    repaired_years: int = Field(default=0, ge=0)

    @field_validator("id_number")
    @classmethod
    def _valid_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from urrbmi import ids  # python-stdnum, loaded when an ID number is given

        return ids.validate(value)

    def born(self) -> dt.date | None:
        """Birth date: from the ID number when there is one (it must agree with birth_date)."""
        if self.id_number is not None:
            from urrbmi import ids

            from_id = ids.birth_date(self.id_number)
            if self.birth_date is not None and self.birth_date != from_id:
                raise InvalidInput(
                    f"出生日期{self.birth_date}与身份证号码中的出生日期{from_id}不一致",
                    f"birth_date {self.birth_date} disagrees with the ID number's {from_id}",
                )
            return from_id
        return self.birth_date

    @classmethod
    def parse(cls, data: Any) -> ResidentInput:
        """Validate a JSON object into a ResidentInput, raising bilingual errors."""
        if not isinstance(data, dict):
            raise InvalidInput("输入应为一个JSON对象", "the input must be one JSON object")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise translate_validation_errors(list(exc.errors())) from None


_FIELD_ZH = {
    "id_number": "身份证号码",
    "birth_date": "出生日期",
    "categories": "人员身份",
    "tier": "档次",
    "student": "学生类型",
    "graduating": "应届毕业",
    "new_student": "入学新生",
    "paid_on": "缴费日期",
    "returning_migrant_worker": "返乡农民工",
    "employee_insurance": "职工医保信息",
    "guardian_enrolled": "监护人已参保",
    "residence": "户籍或居住证",
    "insured_years": "历年参保年度",
    "repaired_years": "修复缴费年数",
}


def translate_validation_errors(errors: list[Any]) -> InvalidInput:
    """The first validation error as a bilingual :class:`InvalidInput`."""
    err = errors[0]
    loc = tuple(p for p in err.get("loc", ()) if p != "body")
    where = ".".join(str(p) for p in loc)
    head = str(loc[0]) if loc else ""
    zh_field = _FIELD_ZH.get(head, where)
    if err.get("type") == "missing":
        return MissingInput(f"缺少必填字段：{zh_field}（{where}）", f"missing required field: {where}")
    if err.get("type") == "extra_forbidden":
        known = ", ".join(_FIELD_ZH)
        return InvalidInput(
            f"未知字段：{where}；可用字段：{known}", f"unknown field: {where}; known fields: {known}"
        )
    msg = err.get("msg", "")
    return InvalidInput(f"字段{zh_field}（{where}）无效：{msg}", f"invalid {where}: {msg}")
