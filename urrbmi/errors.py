"""Errors that reach users: every one carries a stable code and a message in Chinese and English."""

from __future__ import annotations

from typing import ClassVar


class UrrbmiError(Exception):
    """Base of every user-facing error.

    ``code`` is stable (APIs and scripts match on it); ``zh`` and ``en`` are the messages.
    """

    code: str = "error"
    #: The HTTP status the API answers with. Every subclass sets its own (tests/api/test_errors.py
    #: checks), so a new error cannot fall through to a default.
    http_status: ClassVar[int] = 422

    def __init__(self, zh: str, en: str, *, code: str | None = None) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en
        if code is not None:
            self.code = code

    def one_line(self) -> str:
        """The single line the CLI prints on stderr."""
        text = f"错误[{self.code}]：{self.zh} / Error: {self.en}"
        return " ".join(text.split())


# Short Chinese names of the codes an assessment or a quote can end with (what a list or a summary
# prints instead of the code; the full message of each error says more).
CODE_ZH = {
    "error": "错误",
    "invalid_input": "输入有误",
    "invalid_id": "身份证号码有误",
    "missing_input": "缺少信息",
    "unknown_category": "人员身份不在目录中",
    "unknown_policy": "没有该政策",
    "policy_file": "政策文件有误",
    "policy_gap": "政策未规定",
    "outside_window": "不在缴费期内",
    "no_benefit_period": "无待遇享受期",
}


def code_zh(code: str) -> str:
    """The Chinese name of an error code (the code itself only for one nobody has named)."""
    return CODE_ZH.get(code, code)


# The optional extras of pyproject.toml: what each one adds, in words for the person installing.
EXTRAS = {
    "charts": ("PNG 图表（matplotlib）", "PNG charts (matplotlib)"),
    "postgres": ("PostgreSQL 数据库驱动（psycopg）", "the PostgreSQL driver (psycopg)"),
    "spark": ("Spark 批量测算（pyspark、pyarrow）", "Spark batch assessment (pyspark, pyarrow)"),
}


class MissingComponent(UrrbmiError):
    """An optional part of the installation (an extra of pyproject.toml) is not installed."""

    code = "missing_component"
    http_status = 501

    def __init__(self, extra: str, hint_zh: str = "", hint_en: str = "") -> None:
        what_zh, what_en = EXTRAS[extra]
        super().__init__(
            f"未安装{what_zh}；请执行 pip install 'urrbmi[{extra}]'{hint_zh}",
            f"{what_en} is not installed; run pip install 'urrbmi[{extra}]'{hint_en}",
        )
        self.extra = extra


class InvalidInput(UrrbmiError):
    code = "invalid_input"
    http_status = 422


class InvalidId(InvalidInput):
    code = "invalid_id"
    http_status = 422


class MissingInput(InvalidInput):
    code = "missing_input"
    http_status = 422


class UnknownCategory(InvalidInput):
    code = "unknown_category"
    http_status = 422


class UnknownPolicy(UrrbmiError):
    code = "unknown_policy"
    http_status = 404


class PolicyFileError(UrrbmiError):
    code = "policy_file"
    http_status = 422


class PolicyGap(UrrbmiError):
    """The notice leaves a rule undefined (or to other documents) and the policy file has not
    filled it: the engine refuses to guess."""

    code = "policy_gap"
    http_status = 409


class OutsideWindow(UrrbmiError):
    code = "outside_window"
    http_status = 422


class NoBenefitPeriod(UrrbmiError):
    code = "no_benefit_period"
    http_status = 422
