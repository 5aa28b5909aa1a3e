"""Notices' own test cases as data (<policy>.tests.yaml) and ``urrbmi policy test``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from urrbmi.errors import PolicyFileError
from urrbmi.interfaces.cli import main
from urrbmi.policy import casefile, policy_ids

FIXTURES = Path(__file__).parent / "fixtures"


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["policy", "test", *args])
    return res.exit_code, res.output


def test_every_shipped_policy_has_a_tests_file() -> None:
    shipped = {p.name.removesuffix(casefile.SUFFIX) for p in casefile.shipped_case_files()}
    assert shipped >= set(policy_ids())


def test_tests_files_are_not_listed_as_policies() -> None:
    assert not any(pid.endswith(".tests") for pid in policy_ids())


def test_all_shipped_and_fixture_cases_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URRBMI_POLICY_PATH", str(FIXTURES))
    code, out = run()
    assert code == 0, out
    assert "0个失败" in out and " 0 failed" in out
    assert str(FIXTURES / "example-2025.tests.yaml") in out  # the path's files are run too


def test_a_wrong_expectation_fails_with_file_line_case_clause_field() -> None:
    bad = FIXTURES / "failing" / "suixi-2022.tests.yaml"
    line = bad.read_text("utf-8").splitlines().index("      individual_payment: 50") + 1
    code, out = run(str(bad))
    assert code == 1
    assert f"{bad}:{line}：用例“低保对象个人缴费（故意写错）”（条款四（二））" in out
    assert "individual_payment 期望 50，实际 40" in out
    assert "individual_payment expected 50, got 40" in out
    assert "1个通过，1个失败 / 1 passed, 1 failed" in out


def _write(tmp_path: Path, text: str, name: str = "suixi-2022.tests.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_an_expected_refusal_that_is_not_refused_fails(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "cases:\n  - name: a\n    clause: 五\n    input: {paid_on: 2021-11-01}\n"
        "    expect: {error: outside_window}\n",
    )
    outcome = casefile.run_files([path])
    assert (outcome.passed, outcome.failed) == (0, 1)
    assert outcome.failures[0].field == "error"


def test_an_unexpected_refusal_fails_naming_the_error(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "cases:\n  - name: a\n    clause: 五\n    input: {paid_on: 2021-09-30}\n"
        "    expect: {total_due: 320}\n",
    )
    [failure] = casefile.run_files([path]).failures
    assert "outside_window" in failure.got
    assert failure.field == "error" and "expected (none)" in failure.en


def test_money_is_exact(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "cases:\n  - name: a\n    clause: 四（二）\n"
        "    input: {paid_on: 2024-10-01, categories: [低保对象]}\n"
        "    expect: {subsidy: 262.51}\n",
        "example-2025.tests.yaml",
    )
    (tmp_path / "example-2025.yaml").write_bytes((FIXTURES / "example-2025.yaml").read_bytes())
    [failure] = casefile.run_files([path]).failures
    assert (failure.expected, failure.got) == ("262.51", "262.5")


def test_unknown_field_is_a_file_error_with_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "cases:\n  - name: a\n    clause: 五\n    input: {paid_on: 2021-11-01}\n"
        "    expect: {totl_due: 320}\n",
    )
    with pytest.raises(PolicyFileError) as exc:
        casefile.load_cases(path)
    assert f"{path}:5" in exc.value.zh and "totl_due" in exc.value.en
    code, out = run(str(path))
    assert code == 2 and "totl_due" in out


def test_missing_clause_is_a_file_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "cases:\n  - name: a\n    input: {paid_on: 2021-11-01}\n    expect: {}\n")
    with pytest.raises(PolicyFileError) as exc:
        casefile.load_cases(path)
    assert "clause" in exc.value.en and f"{path}:2" in exc.value.en
