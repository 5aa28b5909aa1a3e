"""Row validation: one pass per row, errors collected (not the first only), messages bilingual.

The ID check is ``urrbmi.ids``: a fast pre-check (length, characters, birth date, the
``ids.check_digit`` function, ``ids.known_region``) decides validity, and only failing IDs go
through ``ids.validate`` for its message. The fast path agrees with ``ids.is_valid`` (tested).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from urrbmi import ids
from urrbmi.errors import InvalidId, UnknownCategory
from urrbmi.imports import normalize as norm
from urrbmi.imports.config import SourceConfig
from urrbmi.imports.model import ListRow, Problem
from urrbmi.policy.categories import vocabulary

EARLIEST_DATE = dt.date(1949, 10, 1)  # no list date (认定时间, 变动日期) is earlier
MAX_AGE = 120
CACHE_LIMIT = 500_000  # distinct cell texts remembered per file (names, towns, dates repeat)
_ID_CODE_BY_STEP = ("id_length", "id_chars", "id_birth_date", "id_check_digit", "id_region")
_Bad = Callable[[str, str, str, str], None]
_SEX = {"男": "M", "女": "F", "M": "M", "F": "F", "1": "M", "2": "F", "男性": "M", "女性": "F"}


@lru_cache(maxsize=65536)
def _date_ok(yyyymmdd: str) -> bool:
    try:
        dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return True


def id_error(value: str) -> str | None:
    """The error code of a normalised ID (same order of checks as ``ids.validate``), or None."""
    if len(value) != 18:
        return "id_length"
    if not (value[:17].isascii() and value[:17].isdigit() and value[17] in "0123456789X"):
        return "id_chars"
    if not _date_ok(value[6:14]):
        return "id_birth_date"
    if ids.check_digit(value[:17]) != value[17]:
        return "id_check_digit"
    if not ids.known_region(value[:6]):
        return "id_region"
    return None


@dataclass
class Regions:
    """Known towns (and villages) for checking the town column: name -> code. Short names
    (濉溪 for 濉溪镇) are accepted when they are unambiguous."""

    towns: dict[str, str]
    villages: dict[str, dict[str, str]] = field(default_factory=dict)  # town code -> name -> code

    @classmethod
    def from_rows(cls, rows: list[Mapping[str, str]]) -> Regions:
        towns: dict[str, str] = {}
        villages: dict[str, dict[str, str]] = {}
        short: dict[str, set[str]] = {}
        for r in rows:
            name = norm.name(r["name"])
            if r["level"] == "town":
                towns[name] = r["code"]
                s = name.split("(")[0].split("（")[0]
                for suffix in ("街道", "镇", "乡"):
                    if s.endswith(suffix) and len(s) > len(suffix) + 1:
                        short.setdefault(s[: -len(suffix)], set()).add(r["code"])
            elif r["level"] == "village":
                villages.setdefault(r["parent"], {})[name] = r["code"]
        for s, codes in short.items():
            if len(codes) == 1 and s not in towns:
                towns[s] = next(iter(codes))
        return cls(towns, villages)


class RowValidator:
    def __init__(
        self, config: SourceConfig, labels: dict[str, str], as_of: dt.date, regions: Regions | None = None
    ) -> None:
        self.config = config
        self.labels = labels  # field -> header text in the file
        self.as_of = as_of
        self.regions = regions
        self.latest = as_of + dt.timedelta(days=366)
        self.oldest_birth = dt.date(as_of.year - MAX_AGE, as_of.month, min(as_of.day, 28))
        self._categories: dict[str, str | None] = {}
        self._clean: dict[str, str] = {}
        self._dates: dict[str, dt.date | None] = {}
        self._towns: dict[str, str | None] = {}
        self.date_fields = tuple(f for f in labels if f.endswith("date"))
        self.default_category = config.default_category

    def check(self, row: int, raw: dict[str, str]) -> ListRow | list[Problem]:
        """A valid row, or the list of its problems. ``raw`` maps fields to original cell text."""
        problems: list[Problem] = []
        values: dict[str, str] = {}
        cache = self._clean
        for k, v in raw.items():
            if k == "id_number":
                continue
            c = cache.get(v)
            if c is None:
                c = norm.name(v) if k == "name" else norm.clean(v)
                if len(cache) < CACHE_LIMIT:
                    cache[v] = c
            values[k] = c

        def bad(fld: str, code: str, zh: str, en: str) -> None:
            problems.append(Problem(row, self.labels.get(fld, ""), raw.get(fld, ""), code, zh, en))

        number = norm.id_number(raw.get("id_number", ""))
        values["id_number"] = number
        id_ok = False
        if not number:
            bad("id_number", "id_missing", "身份证号码为空", "the ID number is empty")
        else:
            code = id_error(number)
            if code is not None:
                try:
                    ids.validate(number)
                    zh, en = "身份证号码无效", "invalid ID number"
                except InvalidId as exc:
                    zh, en = exc.zh, exc.en
                bad("id_number", code, zh, en)
            else:
                id_ok = True
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])) if id_ok else None
        if born is not None:
            if born > self.as_of:
                bad(
                    "id_number",
                    "id_birth_future",
                    f"身份证号码中的出生日期晚于{self.as_of}",
                    f"the ID's birth date is after {self.as_of}",
                )
            elif born < self.oldest_birth:
                bad(
                    "id_number",
                    "id_too_old",
                    f"按身份证号码年龄超过{MAX_AGE}岁",
                    f"older than {MAX_AGE} by the ID",
                )

        name = values.get("name", "")
        if not name:
            bad("name", "name_missing", "姓名为空", "the name is empty")
        elif len(name) > 30 or any(ch.isdigit() for ch in name):
            bad("name", "name_invalid", "姓名含数字或过长", "the name has digits or is too long")

        sex = id_sex = ""
        if id_ok:
            id_sex = "M" if int(number[16]) % 2 else "F"
        if values.get("sex"):
            sex = _SEX.get(values["sex"].upper(), "?")
            if sex == "?":
                bad("sex", "sex_invalid", "性别应为“男”或“女”", "sex must be 男 or 女")
            elif id_sex and sex != id_sex:
                bad("sex", "sex_mismatch", "性别与身份证号码不符", "the sex does not match the ID number")

        category = self._category(values.get("category", ""), bad)

        town_code: str | None = None
        town = values.get("town", "")
        if self.regions is not None and town:
            town_code = self.regions.towns.get(town)
            if town_code is None:
                town_code = self.regions.towns.get(norm.name(town))
            if town_code is None:
                bad(
                    "town",
                    "town_unknown",
                    f"乡镇“{town}”不在本县区划中",
                    f"town {town!r} is not in the county",
                )
            else:
                vill = values.get("village", "")
                known = self.regions.villages.get(town_code)
                if vill and known and norm.name(vill) not in known:
                    bad(
                        "village",
                        "village_unknown",
                        f"村（社区）“{vill}”不在{town}",
                        f"village {vill!r} is not in {town}",
                    )

        dates: dict[str, dt.date] = {}
        for fld in self.date_fields:
            if values.get(fld):
                d = self._date(values[fld])
                if d is None:
                    bad(fld, "date_invalid", "日期无法识别", "not a date")
                elif fld == "birth_date":
                    if born is not None and d != born:
                        bad(
                            fld,
                            "birth_mismatch",
                            "出生日期与身份证号码不符",
                            "the birth date does not match the ID",
                        )
                elif not EARLIEST_DATE <= d <= self.latest:
                    bad(
                        fld,
                        "date_out_of_range",
                        f"日期{d}不在合理范围（{EARLIEST_DATE}至{self.latest}）",
                        f"date {d} outside {EARLIEST_DATE}..{self.latest}",
                    )
                else:
                    dates[fld] = d
                    values[fld] = d.isoformat()
        if "start_date" in dates and "end_date" in dates and dates["end_date"] < dates["start_date"]:
            bad("end_date", "date_order", "退出时间早于认定时间", "the end date is before the start date")

        for fld in self.config.required:
            if fld not in ("id_number", "name", "category") and not values.get(fld):
                bad(
                    fld,
                    "value_missing",
                    f"必填项“{self.labels.get(fld, fld)}”为空",
                    f"required {fld} is empty",
                )

        if problems or born is None:
            return problems
        return ListRow(row, number, name, id_sex, born, category, town, town_code, values)

    def _date(self, text: str) -> dt.date | None:
        if text in self._dates:
            return self._dates[text]
        d = norm.parse_date(text)
        if len(self._dates) < CACHE_LIMIT:
            self._dates[text] = d
        return d

    def _category(self, text: str, bad: _Bad) -> str | None:
        mode = self.config.category
        if mode == "none":
            return None
        if not text:
            if mode == "required" and self.default_category is None:
                bad("category", "category_missing", "人员类别为空", "the category is empty")
            return self.default_category
        if text not in self._categories:
            try:
                self._categories[text] = vocabulary().code(text)
            except UnknownCategory:
                self._categories[text] = None
        code = self._categories[text]
        if code is None:
            bad("category", "category_unknown", f"未知的人员类别“{text}”", f"unknown category {text!r}")
        return code
