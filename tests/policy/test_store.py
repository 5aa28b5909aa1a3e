"""The validated-policy cache (issue 17.6): a hit skips YAML and validation, and nothing stale,
corrupt or untrusted is ever served."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from urrbmi.errors import PolicyFileError
from urrbmi.policy import load_policy_file, loader, quote, store
from urrbmi.policy.loader import find_policy_file
from urrbmi.policy.resident import ResidentInput

FIXTURES = Path(__file__).parent / "fixtures"
RESIDENT = ResidentInput(paid_on="2021-11-01", categories=("低保对象",))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("URRBMI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("URRBMI_POLICY_CACHE", raising=False)
    return tmp_path / "cache" / "policies"


def _policy_dir(tmp_path: Path, *ids: str) -> Path:
    d = tmp_path / "policies"
    d.mkdir(exist_ok=True)
    for pid in ids:
        shutil.copy(find_policy_file(pid), d / f"{pid}.yaml")
    return d


def _no_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("YAML read on a cache hit")

    monkeypatch.setattr(loader, "_read", refuse)


def test_a_hit_reads_no_yaml_and_equals_the_policy(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _policy_dir(tmp_path, "suixi-2022") / "suixi-2022.yaml"
    first = load_policy_file(path)
    assert len(list(cache.glob("*.pickle"))) == 1
    _no_yaml(monkeypatch)
    again = load_policy_file(path)
    assert again is not first and again.model == first.model and again.version == first.version
    assert again.vocabulary.categories == first.vocabulary.categories
    assert quote(again, RESIDENT) == quote(first, RESIDENT)


def test_a_changed_file_is_read_again(cache: Path, tmp_path: Path) -> None:
    path = _policy_dir(tmp_path, "suixi-2022") / "suixi-2022.yaml"
    before = quote(load_policy_file(path), RESIDENT)
    text = path.read_text("utf-8")
    path.write_text(text.replace("funder: 同级财政", "funder: 县财政"), "utf-8")
    after = quote(load_policy_file(path), RESIDENT)
    assert (before.subsidy_funder, after.subsidy_funder) == ("同级财政", "县财政")
    path.write_text(text, "utf-8")  # and back: the first entry serves again
    assert quote(load_policy_file(path), RESIDENT).subsidy_funder == "同级财政"


def test_a_new_or_changed_identities_file_is_read_again(cache: Path, tmp_path: Path) -> None:
    d = _policy_dir(tmp_path, "suixi-2022")
    path = d / "suixi-2022.yaml"
    assert "local_group" not in load_policy_file(path).vocabulary.by_code
    shared = d / "identities.yaml"
    entry = "  - {code: local_group, name: 本县特殊群体, certified_by: minzheng}\n"
    shared.write_text("schema_version: 1\nidentities:\n" + entry, "utf-8")
    assert load_policy_file(path).vocabulary.by_code["local_group"].name == "本县特殊群体"
    shared.write_text("schema_version: 1\nidentities:\n" + entry.replace("本县特殊群体", "本县群体"), "utf-8")
    assert load_policy_file(path).vocabulary.by_code["local_group"].name == "本县群体"
    shared.unlink()
    assert "local_group" not in load_policy_file(path).vocabulary.by_code


def test_a_changed_base_of_an_amendment_is_read_again(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = _policy_dir(tmp_path, "fengdu-shetan-2023")
    amendment = d / "fengdu-shetan-2023-filled.yaml"
    shutil.copy(FIXTURES / amendment.name, amendment)
    monkeypatch.setenv("URRBMI_POLICY_PATH", str(d))
    first = load_policy_file(amendment)
    base = d / "fengdu-shetan-2023.yaml"
    base.write_text(base.read_text("utf-8").replace("name: 重庆市丰都县社坛镇", "name: 社坛镇", 1), "utf-8")
    second = load_policy_file(amendment)
    assert second.version != first.version
    assert (first.model.jurisdiction.name, second.model.jurisdiction.name) == ("重庆市丰都县社坛镇", "社坛镇")


def test_a_corrupt_or_foreign_entry_is_rebuilt_silently(cache: Path, tmp_path: Path) -> None:
    path = _policy_dir(tmp_path, "suixi-2022") / "suixi-2022.yaml"
    first = load_policy_file(path)
    (entry,) = cache.glob("*.pickle")
    for junk in (b"", b"not a pickle", entry.read_bytes()[:100]):
        entry.write_bytes(junk)
        assert load_policy_file(path) == first
        assert entry.read_bytes() not in (b"", b"not a pickle")  # rewritten


def test_errors_are_not_cached(cache: Path, tmp_path: Path) -> None:
    path = _policy_dir(tmp_path, "suixi-2022") / "suixi-2022.yaml"
    path.write_text(path.read_text("utf-8").replace("funder: 同级财政", "fundr: 同级财政", 1), "utf-8")
    for _ in range(2):
        with pytest.raises(PolicyFileError, match=r"suixi-2022.yaml:\d+"):
            load_policy_file(path)
    assert not list(cache.glob("*.pickle"))


def test_a_cache_others_may_write_is_not_used(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _policy_dir(tmp_path, "suixi-2022") / "suixi-2022.yaml"
    load_policy_file(path)
    os.chmod(cache, 0o777)
    _no_yaml(monkeypatch)
    with pytest.raises(AssertionError, match="cache hit"):  # not read: the YAML is parsed
        load_policy_file(path)


def test_the_cache_can_be_switched_off(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URRBMI_POLICY_CACHE", "0")
    assert store.cache_dir() is None
    load_policy_file(_policy_dir(tmp_path, "suixi-2022") / "suixi-2022.yaml")
    assert not cache.exists()


def test_the_path_a_policy_records_is_the_one_given(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _policy_dir(tmp_path, "suixi-2022") / "suixi-2022.yaml"
    monkeypatch.chdir(tmp_path)
    relative = Path("policies/suixi-2022.yaml")
    assert load_policy_file(relative).path == str(relative)
    assert load_policy_file(path).path == str(path)
    assert load_policy_file(relative).path == str(relative)
