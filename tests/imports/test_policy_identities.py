"""Department lists read column values a campaign policy's own identities list."""

from __future__ import annotations

from pathlib import Path

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
