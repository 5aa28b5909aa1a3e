"""Open vocabularies: identities a notice (or its directory's identities.yaml) defines."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from urrbmi.errors import PolicyFileError, UnknownCategory
from urrbmi.policy import ResidentInput, load_policy, load_policy_file, quote
from urrbmi.policy.identities import all_identities, label

FIXTURES = Path(__file__).parent / "fixtures"
LINGSHAN = FIXTURES / "lingshan-2025.yaml"


def _quote(names: list[str]) -> tuple[Decimal, str | None]:
    p = load_policy_file(LINGSHAN)
    q = quote(p, ResidentInput(paid_on="2024-10-01", birth_date="1980-01-01", categories=names))
    return q.subsidy, q.subsidy_category


def test_a_notice_defines_its_own_identities_and_prices_them() -> None:
    p = load_policy_file(LINGSHAN)
    new = {c.code: c for c in p.vocabulary.categories if c.defined_in}
    assert {"moderate_disability", "martyr_family", "low_income_population"} <= set(new)
    # extends: inherits the certifying department of the package identity it refines
    assert new["moderate_disability"].department == "canlian"
    assert new["moderate_disability"].extends == "severe_disability"
    assert _quote(["3-4级残疾人"]) == (Decimal(100), "三、四级残疾人")
    assert _quote(["烈士遗属"]) == (Decimal(400), "烈属")
    assert _quote(["低收入人口"]) == (Decimal(200), "低收入人口")
    # the notice's wording of a package identity: the national name still resolves to it
    assert _quote(["低保对象"])[0] == Decimal(200)
    assert p.vocabulary.by_code["dibao"].name == "最低生活保障对象"
    # highest identity wins across new and package identities
    assert _quote(["三四级残疾人", "烈属"]) == (Decimal(400), "烈属")


def test_package_policies_do_not_see_a_notices_identities() -> None:
    with pytest.raises(UnknownCategory):
        quote(load_policy("suixi-2022"), ResidentInput(paid_on="2021-11-01", categories=["烈属"]))


def _write(tmp_path: Path, text: str, name: str = "lingshan-2025.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_an_unknown_identity_names_file_line_and_nearest_names(tmp_path: Path) -> None:
    text = LINGSHAN.read_text("utf-8").replace("categories: [烈属]", "categories: [烈士家属]")
    path = _write(tmp_path, text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "烈士家属" in t)
    with pytest.raises(UnknownCategory) as err:
        load_policy_file(path)
    assert f"{path}:{line}" in err.value.zh
    assert "烈士遗属" in err.value.zh or "烈属" in err.value.zh  # a suggestion, not the whole list
    assert "麻风病患者" not in err.value.zh


def test_a_new_identity_needs_its_department(tmp_path: Path) -> None:
    text = LINGSHAN.read_text("utf-8").replace("    certified_by: tuiyijunren\n", "", 1)
    with pytest.raises(PolicyFileError, match="certified_by"):
        load_policy_file(_write(tmp_path, text))


def test_a_name_may_not_denote_two_identities(tmp_path: Path) -> None:
    text = LINGSHAN.read_text("utf-8").replace("aliases: [烈士遗属]", "aliases: [烈士遗属, 重度残疾人]")
    with pytest.raises(PolicyFileError, match="重度残疾人"):
        load_policy_file(_write(tmp_path, text))


def test_a_directorys_identities_file_serves_its_policies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the 烈属 identity moves from the notice to the jurisdiction's shared file
    text = LINGSHAN.read_text("utf-8")
    start = text.index("  - code: martyr_family")
    end = text.index("  - code: low_income_population")
    (tmp_path / "identities.yaml").write_text("schema_version: 1\nidentities:\n" + text[start:end], "utf-8")
    _write(tmp_path, text[:start] + text[end:])
    monkeypatch.setenv("URRBMI_POLICY_PATH", str(tmp_path))
    p = load_policy("lingshan-2025")
    assert p.vocabulary.by_code["martyr_family"].defined_in == str(tmp_path / "identities.yaml")
    q = quote(p, ResidentInput(paid_on="2024-10-01", birth_date="1980-01-01", categories=["烈士遗属"]))
    assert q.subsidy == Decimal(400)
    # labels and the batch bits see it; the shared file is not a policy
    assert label("martyr_family") == "烈属"
    assert "martyr_family" in all_identities().by_code
    from urrbmi.policy.loader import policy_ids

    assert "identities" not in policy_ids()


def test_labels_come_from_the_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    shutil.copy(LINGSHAN, tmp_path / LINGSHAN.name)
    monkeypatch.setenv("URRBMI_POLICY_PATH", str(tmp_path))
    p = load_policy("lingshan-2025")
    assert label("moderate_disability", p) == "三、四级残疾人"
    assert label("dibao", p) == "最低生活保障对象"
    assert label("dibao") == "低保对象"  # no policy at hand: the national name
    assert label("moderate_disability") == "三、四级残疾人"
