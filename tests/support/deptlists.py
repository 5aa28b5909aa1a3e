"""A department list (民政 低保 roster, GB18030 CSV) as the API tests upload it: clean rows of the
world's residents, and a messy file with one of each problem the check reports."""

from __future__ import annotations

from apiworld import World

HEADER = "序号,姓名,性别,身份证号码,人员类别,所属乡镇,认定时间\n"


def minzheng_csv(rows: list[tuple[str, str]]) -> bytes:
    lines = [HEADER] + [
        f"{i + 1},{name},{'男' if int(n[16]) % 2 else '女'},{n},低保对象,城西街道,2021-01-01\n"
        for i, (n, name) in enumerate(rows)
    ]
    return "".join(lines).encode("gb18030")


def messy(world: World) -> bytes:
    """Three good rows, one bad check digit, one exact repeat, two rows of one ID disagreeing."""
    a = world.people_a
    good = minzheng_csv(list(zip(a, ("王一", "王二", "王三"), strict=True))).decode("gb18030")
    bad = a[0][:17] + ("0" if a[0][17] != "0" else "1")
    b = world.people_b[0]
    lines = good.splitlines(keepends=True)
    extra = [
        f"4,错号人,男,{bad},低保对象,城西街道,2021-01-01\n",
        lines[1],  # exact repeat of the first data row
        f"6,张三,{'男' if int(b[16]) % 2 else '女'},{b},低保对象,城西街道,2021-01-01\n",
        f"7,李四,{'男' if int(b[16]) % 2 else '女'},{b},低保对象,城西街道,2021-01-01\n",
    ]
    return "".join(lines + extra).encode("gb18030")
