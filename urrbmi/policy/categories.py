"""The national vocabulary of resident identities (categories.yaml) and alias resolution."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from urrbmi.errors import UnknownCategory


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str
    en: str
    department: str
    low_income: bool
    aliases: tuple[str, ...]
    # department lists whose column value names this identity: (source, value) pairs
    lists: tuple[tuple[str, str], ...] = ()
    defined_in: str | None = None  # the file that defined it; None for the national vocabulary
    extends: str | None = None  # the package identity it refines (a local sub-group)


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity (engines cache per vocabulary)
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
            zh = f"是否指：{'、'.join(near)}" if near else "没有相近的身份"
            en = f"did you mean: {', '.join(near)}" if near else "no near name"
            raise UnknownCategory(
                f"未知的人员身份“{name}”；{zh}（全部身份见 urrbmi/policy/categories.yaml）",
                f"unknown category {name!r}; {en} (all of them: urrbmi/policy/categories.yaml)",
            )
        return found

    def code(self, name: str) -> str:
        return self.resolve(name).code

    def nearest(self, name: str, n: int = 3) -> list[str]:
        """The known names and aliases closest to ``name`` (for error messages: names, not codes)."""
        import difflib  # error messages only

        keys = {_normalize(k): k for c in self.categories for k in (c.name, *c.aliases)}
        near = difflib.get_close_matches(_normalize(name), list(keys), n=n, cutoff=0.4)
        return [keys[k] for k in near]

    def label(self, code: str) -> str:
        """The Chinese name of a code (the code itself only if nothing defines it)."""
        cat = self.by_code.get(code)
        return cat.name if cat is not None else code

    def for_list(self, source: str, value: str) -> Category | None:
        """The identity a department list's column value maps to (``lists`` of an identity)."""
        key = _normalize(value)
        for cat in self.categories:
            if any(s == source and _normalize(v) == key for s, v in cat.lists):
                return cat
        return None

    def with_identities(self, extra: Iterable[Category], same_as: Iterable[Category]) -> Vocabulary:
        """This vocabulary plus ``extra`` identities (new codes, appended in order so that the
        national codes keep their positions) and ``same_as`` entries (a notice's wording of an
        existing identity: its name, aliases and list mappings added to that identity).
        Raises ValueError naming the clash if a name would denote two identities."""
        cats = list(self.categories)
        index = {c.code: i for i, c in enumerate(cats)}
        for alias in same_as:
            i = index[alias.code]
            old = cats[i]
            cats[i] = replace(  # the notice's wording becomes the name its labels show
                old,
                name=alias.name,
                aliases=(*(a for a in (old.name, *old.aliases, *alias.aliases) if a != alias.name),),
                lists=(*old.lists, *alias.lists),
            )
        for cat in extra:
            if cat.code in index:
                raise ValueError(f"identity code {cat.code!r} is already defined")
            index[cat.code] = len(cats)
            cats.append(cat)
        return _build(cats)


_FOLD = str.maketrans({"（": "(", "）": ")", "，": ",", "—": "-", "－": "-", "、": ","})


def _normalize(name: str) -> str:
    """Fold full-width brackets and spaces so variant spellings meet."""
    return "".join(str(name).split()).translate(_FOLD)


@cache
def vocabulary() -> Vocabulary:
    from ruamel.yaml import YAML  # not at import: a cached policy carries its vocabulary

    text = Path(__file__).with_name("categories.yaml").read_text("utf-8")
    raw = YAML(typ="safe").load(text)
    cats = [
        Category(
            code=item["code"],
            name=item["name"],
            en=item["en"],
            department=item["department"],
            low_income=bool(item.get("low_income", False)),
            aliases=tuple(item.get("aliases") or ()),
        )
        for item in raw["categories"]
    ]
    return _build(cats)


def _build(cats: list[Category]) -> Vocabulary:
    by_name: dict[str, Category] = {}
    for cat in cats:
        for key in (cat.code, cat.name, *cat.aliases):
            norm = _normalize(key)
            if norm in by_name and by_name[norm].code != cat.code:
                raise ValueError(f"“{key}” names two identities ({by_name[norm].code}, {cat.code})")
            by_name[norm] = cat
    return Vocabulary(tuple(cats), {c.code: c for c in cats}, by_name)
