"""`policy show` is complete (every section the policy has, no empty heading, every `assumed`
mark, Chinese or English) and explanations keep `assumed` for every step that has one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from urrbmi.interfaces.cli import main
from urrbmi.policy import ResidentInput, load_policy, load_policy_file, policy_ids, quote
from urrbmi.policy.summary import explain_quote, policy_summary

FIXTURES = Path(__file__).parent / "fixtures"
HEADING = re.compile(r"^([一二三四五六七八九十]、|\d+\. |附：|Notes$)")


def _assumed(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["assumed"]] if isinstance(node.get("assumed"), str) else []
        return own + [a for k, v in node.items() if k != "assumed" for a in _assumed(v)]
    if isinstance(node, list | tuple):
        return [a for v in node for a in _assumed(v)]
    return []


def _policies() -> list[Any]:
    return [load_policy(pid) for pid in policy_ids()] + [load_policy_file(FIXTURES / "example-2025.yaml")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_assumed_mark_is_shown(lang: str) -> None:
    for p in _policies():
        text = policy_summary(p, lang)
        marks = _assumed(p.model.model_dump())
        missing = [a for a in marks if a not in text]
        assert not missing, (p.id, missing)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_empty_section(lang: str) -> None:
    for p in _policies():
        lines = policy_summary(p, lang).splitlines()
        for i, line in enumerate(lines):
            if HEADING.match(line):
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                assert nxt.startswith("  "), (p.id, line)


def test_a_policy_silent_on_benefits_has_no_benefits_heading() -> None:
    text = policy_summary(load_policy_file(FIXTURES / "example-2025.yaml"))
    assert "、待遇" not in text


def test_reductions_other_premiums_and_eligibility_are_shown() -> None:
    text = policy_summary(load_policy_file(FIXTURES / "example-2025.yaml"))
    assert "、减免" in text and "重度残疾人个人缴费减半" in text and "减50%" in text
    assert "、同时缴纳的其他保费" in text and "长期护理保险：30元" in text
    assert "、参保对象" in text and "无本地户籍和居住证的人员" in text
    assert "按2024-08-31的身份" in text


def test_sections_a_real_notice_has() -> None:
    text = policy_summary(load_policy("qianjiang-2022"))
    for head in (
        "参保对象",
        "人员类别与个人缴费标准",
        "财政补助",
        "资助参保",
        "缴费期与待遇享受",
        "目标任务",
        "工作安排",
    ):
        assert f"、{head}" in text
    assert "特困人员由区民政局认定" in text  # 附件2 departments
    assert "多重身份：就高不就低" in text


def test_show_in_english_by_switch() -> None:
    res = CliRunner().invoke(main, ["policy", "show", "changji-2023", "--lang", "en"])
    assert res.exit_code == 0
    assert "Fiscal subsidy" in res.output and "critical illness deductible: 13700 yuan" in res.output
    assert "特困人员: subsidised in full" in res.output and "全额资助" not in res.output
    assert "财政补助" not in res.output.split("\n", 4)[-1].split("Fiscal subsidy")[0]
    zh = CliRunner().invoke(main, ["policy", "show", "changji-2023"]).output
    assert "、财政补助" in zh and "Fiscal subsidy" not in zh


ASSUMED_FIXTURE = {
    "  - {code: ltc, label: 长期护理保险, amount: 30, cite: 三}": "  - {code: ltc, label: 长期护理保险, amount: 30, cite: 三, assumed: 推定甲}",
    "    percent: 50\n    cite: 四（一）": "    percent: 50\n    cite: 四（一）\n    assumed: 推定乙",
    "fiscal_subsidy: {amount: 700, year_label: 2025, cite: 二}": "fiscal_subsidy: {amount: 700, year_label: 2025, cite: 二, assumed: 推定丙}",
    "eligibility: {residence: [hukou, permit, none], cite: 一}": "eligibility: {residence: [hukou, permit, none], cite: 一, assumed: 推定丁}",
}


def test_explanations_keep_assumed_for_reductions_premiums_fiscal_part(tmp_path: Path) -> None:
    text = (FIXTURES / "example-2025.yaml").read_text("utf-8")
    for old, new in ASSUMED_FIXTURE.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "example-2025.yaml"
    path.write_text(text, "utf-8")
    p = load_policy_file(path)
    q = quote(
        p, ResidentInput.parse({"paid_on": "2024-10-01", "residence": "none", "categories": ["重度残疾人"]})
    )
    by_step = {st.step: st.assumed for st in q.explanation if st.assumed}
    assert by_step.get("other_premium") == "推定甲"
    assert by_step.get("reduction") == "推定乙"
    assert by_step.get("fiscal_portion") == "推定丙"
    assert by_step.get("eligibility") == "推定丁"
    explained = explain_quote(q)
    for mark in ("推定甲", "推定乙", "推定丙", "推定丁"):
        assert mark in explained
        assert mark in policy_summary(p)


SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # an internal code (low_income, late_full_cost)


def test_chinese_summary_shows_no_internal_code() -> None:
    for p in _policies():
        text = policy_summary(p)
        assert not SNAKE.search(text), (p.id, SNAKE.findall(text))
