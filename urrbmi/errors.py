"""Errors that reach users: every one carries a stable code and a message in Chinese and English."""

from __future__ import annotations


class UrrbmiError(Exception):
    """Base of every user-facing error.

    ``code`` is stable (APIs and scripts match on it); ``zh`` and ``en`` are the messages.
    """

    code: str = "error"

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


class InvalidInput(UrrbmiError):
    code = "invalid_input"


class InvalidId(InvalidInput):
    code = "invalid_id"


class MissingInput(InvalidInput):
    code = "missing_input"


class UnknownCategory(InvalidInput):
    code = "unknown_category"


class UnknownPolicy(UrrbmiError):
    code = "unknown_policy"


class PolicyFileError(UrrbmiError):
    code = "policy_file"


class PolicyGap(UrrbmiError):
    """The notice leaves a rule undefined (or to other documents) and the policy file has not
    filled it: the engine refuses to guess."""

    code = "policy_gap"


class OutsideWindow(UrrbmiError):
    code = "outside_window"


class NoBenefitPeriod(UrrbmiError):
    code = "no_benefit_period"
