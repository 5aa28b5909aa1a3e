"""`policy check` on an unknown identity names the file, the line and the nearest known names;
`policy compare` names where each year comes from, and `policies --schedules` lists schedules."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from urrbmi.interfaces.cli import main
from urrbmi.policy.categories import vocabulary

FIXTURES = Path(__file__).parent / "fixtures"


def test_unknown_identity_names_file_line_and_nearest_names(tmp_path: Path) -> None:
    text = (FIXTURES / "example-2025.yaml").read_text("utf-8")
    assert "    categories: [低保对象]\n" in text
    text = text.replace("    categories: [低保对象]\n", "    categories: [低保对像]\n")
    line = text.splitlines().index("    categories: [低保对像]") + 1
    path = tmp_path / "example-2025.yaml"
    path.write_text(text, "utf-8")
    res = CliRunner().invoke(main, ["policy", "check", str(path)])
    assert res.exit_code == 2
    assert res.output.count("\n") == 1
    assert f"{path}:{line}：未知的人员身份“低保对像”" in res.output
    assert "是否指：低保对象" in res.output and "did you mean: 低保对象" in res.output
    far = [c.name for c in vocabulary().categories if c.name not in res.output]
    assert len(far) > len(vocabulary().categories) // 2  # not the whole vocabulary


def test_compare_names_the_source_of_each_year() -> None:
    res = CliRunner().invoke(main, ["policy", "compare", "500114", "2021", "2022"])
    assert res.exit_code == 0
    assert "2021年依据：资助标准表 qianjiang-2021" in res.output
    assert "qianjiang-2021.yaml" in res.output and "不能核定缴费" in res.output
    assert "2022年依据：政策 qianjiang-2022" in res.output


def test_policies_lists_schedules_on_request_only() -> None:
    plain = CliRunner().invoke(main, ["policies"]).output
    assert "qianjiang-2021" not in plain
    out = CliRunner().invoke(main, ["policies", "--schedules"]).output
    [line] = [x for x in out.splitlines() if x.startswith("qianjiang-2021\t")]
    assert "2021年度" in line and "资助标准表" in line


def test_unknown_identity_in_a_schedule_names_file_and_line(tmp_path: Path) -> None:
    from urrbmi.errors import UnknownCategory
    from urrbmi.policy import compare

    src = Path(compare.__file__).parent / "schedules" / "qianjiang-2021.yaml"
    text = src.read_text("utf-8").replace(
        "categories: [建档立卡低收入人口]", "categories: [建档立卡低收入人囗]"
    )
    line = text.splitlines().index("    categories: [建档立卡低收入人囗]") + 1
    path = tmp_path / "qianjiang-2021.yaml"
    path.write_text(text, "utf-8")
    try:
        compare.load_schedule_file(path)
    except UnknownCategory as exc:
        assert f"{path}:{line}" in exc.zh and "建档立卡低收入人口" in exc.zh
    else:
        raise AssertionError("an unknown identity was accepted")
