"""Small list files written on the fly for import tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from urrbmi import ids

AS_OF = dt.date(2021, 9, 30)


def person(n: int, sex: str = "M", born: dt.date = dt.date(1970, 5, 6), region: str = "340621") -> str:
    """A valid ID: the n-th of its birth date (odd sequences for men)."""
    return ids.make(region, born, 2 * n + (1 if sex == "M" else 0))


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


MINZHENG_HEADER = ["序号", "姓名", "性别", "身份证号码", "人员类别", "所属乡镇", "村（社区）", "认定时间"]


def minzheng_row(n: int, **change: str) -> list[str]:
    row = {
        "序号": str(n),
        "姓名": f"张{'伟芳敏静丽强磊军洋勇'[n % 10]}{'一二三四五六七八九十'[n // 10 % 10]}",
        "性别": "男",
        "身份证号码": person(n),
        "人员类别": "低保对象",
        "所属乡镇": "百善镇",
        "村（社区）": "",
        "认定时间": "2020-03-01",
    }
    row.update(change)
    return [row[h] for h in MINZHENG_HEADER]
