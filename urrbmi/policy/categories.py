"""The national vocabulary of resident identities (categories.yaml) and alias resolution."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ruamel.yaml import YAML

from urrbmi.errors import UnknownCategory


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str
    en: str
    department: str
    low_income: bool
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    categories: tuple[Category, ...]
    by_code: dict[str, Category]
    by_name: dict[str, Category]  # canonical names, aliases and codes

    def resolve(self, name: str) -> Category:
        """The category a name, alias or code denotes; :class:`UnknownCategory` otherwise."""
        key = _normalize(name)
        found = self.by_name.get(key)
        if found is None:
            near = self.nearest(name)
            zh = f"相近的身份：{'、'.join(near)}" if near else "没有相近的身份"
            en = f"nearest: {', '.join(near)}" if near else "no near name"
            raise UnknownCategory(
                f"未知的人员身份“{name}”；{zh}（全部身份见 urrbmi/policy/categories.yaml）",
                f"unknown category {name!r}; {en} (all of them: urrbmi/policy/categories.yaml)",
            )
        return found

    def nearest(self, name: str, n: int = 3) -> list[str]:
        """The known names (canonical names and aliases) nearest to ``name``, best first."""
        names = {key: cat for cat in self.categories for key in (cat.name, *cat.aliases)}
        return difflib.get_close_matches(str(name), list(names), n=n, cutoff=0.4)

    def code(self, name: str) -> str:
        return self.resolve(name).code


def _normalize(name: str) -> str:
    """Fold full-width brackets and spaces so variant spellings meet."""
    table = str.maketrans({"（": "(", "）": ")", "，": ",", "—": "-", "－": "-", "、": ","})
    return "".join(str(name).split()).translate(table)


@cache
def vocabulary() -> Vocabulary:
    text = resources.files("urrbmi.policy").joinpath("categories.yaml").read_text("utf-8")
    raw = YAML(typ="safe").load(text)
    cats: list[Category] = []
    by_name: dict[str, Category] = {}
    for item in raw["categories"]:
        cat = Category(
            code=item["code"],
            name=item["name"],
            en=item["en"],
            department=item["department"],
            low_income=bool(item.get("low_income", False)),
            aliases=tuple(item.get("aliases") or ()),
        )
        cats.append(cat)
        for key in (cat.code, cat.name, *cat.aliases):
            norm = _normalize(key)
            if norm in by_name and by_name[norm].code != cat.code:
                raise ValueError(f"categories.yaml: {key!r} names two categories")
            by_name[norm] = cat
    return Vocabulary(tuple(cats), {c.code: c for c in cats}, by_name)
