"""Header aliases per source department (headers.yaml), loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from ruamel.yaml import YAML

from urrbmi.errors import InvalidInput
from urrbmi.imports.normalize import header_key
from urrbmi.policy.identities import all_identities

KNOWN_FIELDS = (
    "id_number",
    "name",
    "sex",
    "birth_date",
    "category",
    "town",
    "village",
    "phone",
    "start_date",
    "end_date",
    "event",
    "event_date",
    "remark",
)
_CATEGORY_MODES = ("required", "optional", "none")


@dataclass(frozen=True, slots=True)
class SourceConfig:
    key: str
    name: str
    aliases: dict[str, str]  # folded header text -> field
    required: tuple[str, ...]
    category: str  # "required" | "optional" | "none"
    default_category: str | None  # a vocabulary code

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.aliases.values()))


def load(text: str) -> dict[str, SourceConfig]:
    """Parse a headers.yaml text; strict: unknown keys or codes are errors."""
    raw = YAML(typ="safe").load(text)
    if not isinstance(raw, dict) or set(raw) != {"common", "sources"}:
        raise InvalidInput(
            "表头配置须含 common 与 sources", "the header configuration needs common and sources"
        )
    voc = all_identities()
    out: dict[str, SourceConfig] = {}
    for key, src in raw["sources"].items():
        extra = set(src) - {"name", "required", "category", "default_category", "fields"}
        if extra:
            raise InvalidInput(
                f"表头配置 {key} 含未知键：{sorted(extra)}", f"headers {key}: unknown keys {sorted(extra)}"
            )
        aliases: dict[str, str] = {}
        for table in (raw["common"], src.get("fields") or {}):
            for fld, words in table.items():
                for word in words:
                    aliases[header_key(str(word))] = fld
        mode = src.get("category", "optional")
        if mode not in _CATEGORY_MODES:
            raise InvalidInput(
                f"表头配置 {key}：category 应为 {_CATEGORY_MODES}", f"headers {key}: bad category mode"
            )
        default = src.get("default_category")
        if default is not None and default not in voc.by_code:
            raise InvalidInput(
                f"表头配置 {key}：未知身份代码 {default}", f"headers {key}: unknown code {default}"
            )
        required = tuple(src.get("required") or ())
        missing = [f for f in required if f not in aliases.values()]
        if missing:
            raise InvalidInput(
                f"表头配置 {key}：必填字段无别名 {missing}", f"headers {key}: no aliases for {missing}"
            )
        out[key] = SourceConfig(str(key), str(src.get("name", key)), aliases, required, mode, default)
    return out


@cache
def sources() -> dict[str, SourceConfig]:
    return load(resources.files("urrbmi.imports").joinpath("headers.yaml").read_text("utf-8"))


def source(key: str) -> SourceConfig:
    found = sources().get(key)
    if found is None:
        known = ", ".join(sources())
        raise InvalidInput(
            f"未知的名单来源“{key}”；已知：{known}", f"unknown list source {key!r}; known: {known}"
        )
    return found
