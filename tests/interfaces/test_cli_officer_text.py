"""What the CLI prints for officers is Chinese, not internal codes (issue 13, class 7)."""

from __future__ import annotations

import re
from collections import Counter

from click.testing import CliRunner

from urrbmi.campaign.assess import AssessSummary
from urrbmi.interfaces.cli import main
from urrbmi.interfaces.cli_demo import assess_line

CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # snake_case: an internal code (late_full_cost, policy_gap)


def test_explanation_names_pathway_class_and_residence_in_chinese() -> None:
    res = CliRunner().invoke(
        main,
        ["quote", "--policy", "qianjiang-2022", "--explain"],
        input='{"paid_on": "2022-07-05", "residence": "hukou"}',
    )
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "2022年7月1日后缴费，设置等待期并缴纳财政补贴部分" in out
    assert "→ 本地户籍" in out and "人员类别：城乡居民" in out
    assert not CODE.search(out), CODE.findall(out)
    assert not re.search(r"→ (resident|hukou|late_\w+)\b", out)


def test_demo_summary_names_reasons_in_chinese() -> None:
    a = AssessSummary()
    a.assessed, a.due = 1000, 200
    a.excluded = Counter({"employee_insurance": 730, "deceased": 44})
    a.errors = Counter({"policy_gap": 26})
    line = assess_line(a)
    assert "不征缴：已参加职工医保730人、已死亡44人" in line
    assert "无法核定：政策未规定26人" in line
    assert "{" not in line and not CODE.search(line.replace("urrbmi policy show suixi-2022", "")), line
