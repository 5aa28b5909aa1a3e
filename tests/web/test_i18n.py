"""Every label comes from the zh/en dictionaries: both have the same keys, none empty, and every key
the UI's code names (literally, or by a known prefix) exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

STATIC = Path(__file__).parents[2] / "urrbmi" / "interfaces" / "web" / "static"
JS = sorted((STATIC / "js").rglob("*.js"))


def _dict(lang: str) -> dict[str, str]:
    return dict(json.loads((STATIC / "i18n" / f"{lang}.json").read_text("utf-8")))


def test_zh_and_en_have_the_same_keys_and_no_empty_label() -> None:
    zh, en = _dict("zh"), _dict("en")
    assert set(zh) == set(en), {"only zh": set(zh) - set(en), "only en": set(en) - set(zh)}
    assert not [k for k, v in {**zh, **en}.items() if not v.strip()]
    assert all(re.search(r"[\u4e00-\u9fff]", v) or v.startswith("{") for v in zh.values())


def _literal_keys() -> set[str]:
    keys: set[str] = set()
    pattern = re.compile(
        r"""(?:\bt\(|label[:=]\s*|title[:=]\s*|\?\s*|:\s*)['"]([a-z_]+\.[a-z_.]+[a-z_])['"]"""
    )
    for f in JS:
        keys.update(m.group(1) for m in pattern.finditer(f.read_text("utf-8")))
    return {k for k in keys if not k.endswith((".js", ".json", ".svg"))}


def _permissions() -> set[str]:
    text = (STATIC / "js" / "roles.js").read_text("utf-8")
    return set(re.findall(r"'([a-z_]+\.[a-z_]+)'", text)) | {"list.upload"}


def test_every_key_the_code_uses_exists() -> None:
    zh = _dict("zh")
    used = _literal_keys() - _permissions()  # permission names look like keys but are not labels
    assert len(used) > 150  # the pattern really finds the keys
    assert sorted(used - set(zh)) == []


def _sources() -> list[str]:
    """Every list source the imports configuration names (the API may send any of them)."""
    import yaml  # type: ignore[import-untyped]  # PyYAML ships no types (a test-only import)

    headers = Path(__file__).parents[2] / "urrbmi" / "imports" / "headers.yaml"
    return list(yaml.safe_load(headers.read_text("utf-8"))["sources"])


def _categories() -> list[str]:
    """The national vocabulary of identities (a review item or a list may show any of them)."""
    import yaml

    cats = Path(__file__).parents[2] / "urrbmi" / "policy" / "categories.yaml"
    return [c["code"] for c in yaml.safe_load(cats.read_text("utf-8"))["categories"]]


def test_dynamic_keys_cover_their_values() -> None:
    zh = _dict("zh")
    roles = re.findall(r"^  (\w+): ", (STATIC / "js" / "roles.js").read_text("utf-8"), re.M)
    assert len(roles) == 7
    for prefix, values in {
        "role.": roles,
        "channel.": ["cash", "pos", "wechat", "alipay", "unionpay", "bank", "tax"],
        "payment.status.": ["accepted", "held", "cancelled", "refunded"],
        "source.": _sources(),
        "category.": _categories(),
        "assessment.": ["due", "excluded", "error"],
        "menu.": ["resident", "dashboard", "imports", "payments", "policies", "reports"],
        "imports.pop.": ["added", "deceased", "moved_out", "moved", "updated", "cleared", "absent"],
    }.items():
        assert [v for v in values if prefix + v not in zh] == [], prefix


def test_role_table_matches_the_api() -> None:
    """The UI hides what a role cannot use from a copy of the API's role table: they must agree."""
    import pytest

    roles_mod = pytest.importorskip("urrbmi.access.roles")
    text = (STATIC / "js" / "roles.js").read_text("utf-8")
    all_perms = re.findall(r"'([a-z_]+\.[a-z_]+)'", text.split("export const ROLE_PERMISSIONS")[0])
    for role, perms in roles_mod.ROLE_PERMISSIONS.items():
        block = re.search(rf"{role}: (ALL|\[[^\]]*\])", text)
        assert block, role
        js = set(all_perms) if block.group(1) == "ALL" else set(re.findall(r"'([a-z_.]+)'", block.group(1)))
        assert js == set(perms), role
