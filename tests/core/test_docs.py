"""Docs stay current: every identity code and every seed policy is documented."""

from pathlib import Path

from urrbmi.policy import policy_ids
from urrbmi.policy.categories import vocabulary

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_glossary_lists_every_category() -> None:
    text = (DOCS / "glossary.md").read_text("utf-8")
    missing = [c.code for c in vocabulary().categories if f"`{c.code}`" not in text]
    assert not missing, f"add to docs/glossary.md: {missing}"


def test_policy_docs_list_every_builtin_policy() -> None:
    text = (DOCS / "policies.md").read_text("utf-8")
    assert [p for p in policy_ids() if p not in text] == []
