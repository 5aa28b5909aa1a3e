"""Department lists read column values a campaign policy's own identities list."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_helpers import AS_OF, MINZHENG_HEADER, minzheng_row, person, write_csv

from urrbmi.imports.check import check_file
from urrbmi.policy import load_policy_file

LINGSHAN = Path(__file__).parents[1] / "policy" / "fixtures" / "lingshan-2025.yaml"


def test_a_list_value_mapped_by_the_policy_loads_as_its_identity(tmp_path: Path) -> None:
    voc = load_policy_file(LINGSHAN).vocabulary
    f = write_csv(
        tmp_path / "ty.csv",
        [
            ["姓名", "身份证号码", "优抚类别"],
            ["王五", person(1), "烈士遗属"],
            ["赵六", person(2), "在乡老复员军人"],
        ],
    )
    batch = check_file(f, "tuiyijunren", as_of=AS_OF, vocabulary=voc)
    assert not batch.invalid
    assert [r.category for r in batch.rows] == ["martyr_family", "old_demobilized_soldier"]
    rows = [
        MINZHENG_HEADER,
        minzheng_row(1, 人员类别="低收入人口"),
        minzheng_row(2, 人员类别="最低生活保障对象"),
    ]
    batch = check_file(write_csv(tmp_path / "mz.csv", rows), "minzheng", as_of=AS_OF, vocabulary=voc)
    assert [r.category for r in batch.rows] == ["low_income_population", "dibao"]


def test_without_the_policy_the_value_is_unknown(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "ty.csv", [["姓名", "身份证号码", "优抚类别"], ["王五", person(1), "烈士遗属"]])
    batch = check_file(f, "tuiyijunren", as_of=AS_OF)  # no policy on the search path defines it
    assert not batch.rows
    assert batch.invalid[0].problems[0].code == "category_unknown"


def test_list_check_reads_with_the_campaign_policys_identities(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from urrbmi.interfaces.cli import main

    monkeypatch.setenv("URRBMI_POLICY_PATH", str(LINGSHAN.parent))
    rows = [MINZHENG_HEADER, minzheng_row(1, 人员类别="低收入人口"), minzheng_row(2)]
    f = write_csv(tmp_path / "mz.csv", rows)

    def check(policy: str) -> str:
        args = ["list", "check", str(f), "--source", "minzheng", "--as-of", "2021-09-30"]
        args += ["--report", str(tmp_path / "r.xlsx"), "--no-progress", "--policy", policy]
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 0, res.output
        return res.stdout

    assert "未知的人员类别" not in check("lingshan-2025")
    assert "未知的人员类别" in check("suixi-2022")  # a policy without the identity refuses the row
