"""The policy file format: strict schema, line-numbered errors, cross-checks, amendments."""

from __future__ import annotations

from pathlib import Path

import pytest

from urrbmi.errors import PolicyFileError, UnknownCategory, UnknownPolicy
from urrbmi.policy import load_policy, load_policy_file, policy_ids
from urrbmi.policy.loader import find_policy_file

SEEDS = ["changji-2023", "fengdu-shetan-2023", "qianjiang-2022", "suixi-2022", "taixing-2022"]


def _copy(tmp_path: Path, policy_id: str, edit: tuple[str, str], new_id: str | None = None) -> Path:
    text = find_policy_file(policy_id).read_text("utf-8")
    old, new = edit
    assert old in text, old
    text = text.replace(old, new, 1)
    name = new_id or policy_id
    if new_id:
        text = text.replace(f"id: {policy_id}", f"id: {new_id}", 1)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, "utf-8")
    return path


def test_all_five_seed_policies_listed_and_load() -> None:
    assert set(SEEDS) <= set(policy_ids())
    for pid in SEEDS:
        p = load_policy(pid)
        assert p.id == pid and len(p.version) == 12


def test_misspelt_field_is_rejected_with_file_line_and_field(tmp_path: Path) -> None:
    path = _copy(
        tmp_path,
        "suixi-2022",
        ("    funder: 同级财政\n    cite: 四（二）", "    fundr: 同级财政\n    cite: 四（二）"),
    )
    with pytest.raises(PolicyFileError) as exc:
        load_policy_file(path)
    line = next(i for i, t in enumerate(path.read_text("utf-8").splitlines(), 1) if "fundr" in t)
    assert f"suixi-2022.yaml:{line}" in exc.value.en
    assert "fundr" in exc.value.en and "Extra inputs are not permitted" in exc.value.en


def test_wrong_type_is_rejected(tmp_path: Path) -> None:
    path = _copy(tmp_path, "suixi-2022", ("resident: {1: {amount: 320", "resident: {1: {amount: 三百二"))
    with pytest.raises(PolicyFileError) as exc:
        load_policy_file(path)
    assert "standards.resident.1.amount" in exc.value.en


def test_missing_citation_is_rejected(tmp_path: Path) -> None:
    path = _copy(
        tmp_path,
        "suixi-2022",
        (
            "fiscal_subsidy: {amount: 580, year_label: 2022, cite: 三}",
            "fiscal_subsidy: {amount: 580, year_label: 2022}",
        ),
    )
    with pytest.raises(PolicyFileError) as exc:
        load_policy_file(path)
    assert "cite" in exc.value.en


def test_stated_amount_must_match_the_rule(tmp_path: Path) -> None:
    path = _copy(
        tmp_path,
        "qianjiang-2022",
        (
            "percent: 90, of: {person_class: resident, tier: 1}, stated: 288",
            "percent: 90, of: {person_class: resident, tier: 1}, stated: 287",
        ),
    )
    with pytest.raises(PolicyFileError) as exc:
        load_policy_file(path)
    assert "287" in exc.value.zh and "288" in exc.value.zh


def test_split_must_add_up(tmp_path: Path) -> None:
    path = _copy(tmp_path, "changji-2023", ("amount: 98.8}", "amount: 98.9}"))
    with pytest.raises(PolicyFileError) as exc:
        load_policy_file(path)
    assert "does not add up" in exc.value.en


def test_unknown_category_in_policy_is_rejected(tmp_path: Path) -> None:
    path = _copy(tmp_path, "suixi-2022", ("categories: [返贫致贫人口]", "categories: [返贫人口X]"))
    with pytest.raises(UnknownCategory):
        load_policy_file(path)


def test_unknown_document_in_citation_is_rejected(tmp_path: Path) -> None:
    path = _copy(tmp_path, "suixi-2022", ("cite: 四（三）", 'cite: "nodoc:四（三）"'))
    with pytest.raises(PolicyFileError) as exc:
        load_policy_file(path)
    assert "nodoc" in exc.value.en


def test_missing_standard_for_a_tier_is_rejected(tmp_path: Path) -> None:
    path = _copy(tmp_path, "qianjiang-2022", ("    2: {amount: 655, cite: 一（一）}\n", ""))
    with pytest.raises(PolicyFileError) as exc:
        load_policy_file(path)
    assert "college_student" in exc.value.en


def test_money_is_exact_decimal() -> None:
    from decimal import Decimal

    fs = load_policy("changji-2023").model.fiscal_subsidy
    amounts = [x.amount for x in fs.split]  # type: ignore[union-attr]
    assert all(type(a) is Decimal for a in amounts)
    assert Decimal("73.2") in amounts


def test_duplicate_yaml_keys_rejected(tmp_path: Path) -> None:
    path = _copy(tmp_path, "suixi-2022", ("benefit_year: 2022", "benefit_year: 2022\nbenefit_year: 2023"))
    with pytest.raises(PolicyFileError):
        load_policy_file(path)


def test_file_name_must_match_id(tmp_path: Path) -> None:
    text = find_policy_file("suixi-2022").read_text("utf-8")
    path = tmp_path / "other-2022.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(PolicyFileError):
        load_policy_file(path)


def test_next_county_is_data_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new county's notice is a new file on URRBMI_POLICY_PATH; no code changes."""
    path = _copy(
        tmp_path,
        "suixi-2022",
        ("amount: 320, cite: 三}}", "amount: 350, cite: 三}}"),
        new_id="newcounty-2023",
    )
    path.write_text(
        path.read_text("utf-8")
        .replace("amount: 40, stated_subsidy: {resident: 280}", "amount: 40, stated_subsidy: {resident: 310}")
        .replace("amount: 70, stated_subsidy: {resident: 250}", "amount: 70")
        .replace("amount: 160, stated_subsidy: {resident: 160}", "amount: 160")
        .replace("individual: 320", "individual: 350")
        .replace("amount: 900", "amount: 930"),
        "utf-8",
    )
    monkeypatch.setenv("URRBMI_POLICY_PATH", str(tmp_path))
    assert "newcounty-2023" in policy_ids()
    from quote_helpers import D, q

    r = q("newcounty-2023", paid_on="2021-11-01", categories=["低保对象"])
    assert (r.standard, r.subsidy, r.individual_payment) == (D(350), D(310), D(40))


def test_unknown_policy() -> None:
    with pytest.raises(UnknownPolicy) as exc:
        load_policy("atlantis-2099")
    assert "suixi-2022" in exc.value.zh


def test_policy_for_jurisdiction_and_year(monkeypatch: pytest.MonkeyPatch) -> None:
    from urrbmi.policy import policy_for

    assert policy_for("340621", 2022).id == "suixi-2022"
    with pytest.raises(UnknownPolicy):
        policy_for("340621", 2023)
    # an amendment wins over the notice it amends
    monkeypatch.setenv("URRBMI_POLICY_PATH", str(Path(__file__).parent / "fixtures"))
    assert policy_for("500230", 2023).id == "fengdu-shetan-2023-filled"


def test_committed_json_schema_is_current() -> None:
    import json

    from urrbmi.policy.schema import Policy

    committed = Path(__file__).resolve().parents[2] / "docs" / "policy-schema.json"
    assert json.loads(committed.read_text("utf-8")) == Policy.model_json_schema(), (
        "regenerate: urrbmi policy schema > docs/policy-schema.json"
    )


@pytest.mark.parametrize("bad", ["../../etc/passwd", "suixi-2022/../x", "A" * 300, "", "Suixi-2022"])
def test_policy_ids_are_checked_before_touching_the_file_system(bad: str) -> None:
    with pytest.raises(UnknownPolicy):
        load_policy(bad)
