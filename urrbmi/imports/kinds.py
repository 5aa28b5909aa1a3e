"""Which kind of list a source sends, and the words its cells use (``list_words.yaml``, loaded once).

A batch's kind picks its applier (:mod:`urrbmi.imports.apply`): ``list`` (identity lists, and the
教育/人社 lists that set a resident attribute), ``population`` (户籍, 公安) or ``enrollment``
(last year's enrollment).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

from urrbmi.errors import InvalidInput

POPULATION_SOURCES = ("hukou", "gongan")
ENROLLMENT_SOURCES = ("enrollment",)
# lists without identities that set a resident attribute: source -> the field carrying it
ATTRIBUTE_SOURCES = {"jiaoyu": "school", "renshe": "status"}
MODES = ("replace", "add")
# the insurance type (national code) that says a person is in employee insurance
EMPLOYEE_MEDICAL = "310"
EVENT_MEANINGS = ("present", "birth", "move_in", "death", "move_out")
INSURANCE_CODES = ("310", "390", "110", "120", "170", "210", "410", "510")


def batch_kind(source: str) -> str:
    if source in POPULATION_SOURCES:
        return "population"
    if source in ENROLLMENT_SOURCES:
        return "enrollment"
    return "list"


@dataclass(frozen=True, slots=True)
class ListWords:
    events: dict[str, str]  # 公安 event word -> present | birth | move_in | death | move_out
    renshe_insurance_types: dict[str, str]  # 人社 险种类型 text -> national code
    insurance_types: dict[str, str]  # 上年参保 险种 text -> 390 | 310
    employee_insurance_ended: tuple[str, ...]  # 人社 参保状态 words: no longer insured
    college_words: tuple[str, ...]  # 学段 words: higher education


_TABLES = {
    "events": EVENT_MEANINGS,
    "renshe_insurance_types": INSURANCE_CODES,
    "insurance_types": ("390", "310"),
}
_LISTS = ("employee_insurance_ended", "college_words")


def _table(raw: dict[str, Any], key: str, meanings: tuple[str, ...]) -> dict[str, str]:
    table = raw.get(key)
    if not isinstance(table, dict):
        raise InvalidInput(f"名单词表缺少 {key}", f"list words: {key} missing")
    out = {("" if k is None else str(k)): str(v) for k, v in table.items()}
    bad = sorted({v for v in out.values() if v not in meanings})
    if bad:
        raise InvalidInput(f"名单词表 {key}：未知取值 {bad}", f"list words {key}: unknown meanings {bad}")
    return out


def parse_words(text: str) -> ListWords:
    """Parse a list_words.yaml text; strict: unknown tables or meanings are errors."""
    raw = YAML(typ="safe").load(text)
    if not isinstance(raw, dict) or set(raw) != {*_TABLES, *_LISTS}:
        raise InvalidInput(
            f"名单词表须含 {sorted({*_TABLES, *_LISTS})}",
            f"list words need exactly {sorted({*_TABLES, *_LISTS})}",
        )
    lists = {k: tuple(str(w) for w in raw[k] or ()) for k in _LISTS}
    return ListWords(
        events=_table(raw, "events", _TABLES["events"]),
        renshe_insurance_types=_table(raw, "renshe_insurance_types", _TABLES["renshe_insurance_types"]),
        insurance_types=_table(raw, "insurance_types", _TABLES["insurance_types"]),
        employee_insurance_ended=lists["employee_insurance_ended"],
        college_words=lists["college_words"],
    )


@cache
def words() -> ListWords:
    return parse_words(resources.files("urrbmi.imports").joinpath("list_words.yaml").read_text("utf-8"))
