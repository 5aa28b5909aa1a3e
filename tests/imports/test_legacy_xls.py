"""A real Excel 97-2003 file (BIFF8, written by xlwt; see fixtures/make_xls.py) read through
python-calamine: merged two-row header under a title, a character outside GBK, a date cell."""

import datetime as dt
from pathlib import Path

from import_helpers import AS_OF

from urrbmi.imports.check import check_file

FIXTURE = Path(__file__).parent / "fixtures" / "legacy_minzheng.xls"


def test_legacy_xls() -> None:
    batch = check_file(FIXTURE, "minzheng", as_of=AS_OF)
    assert (batch.file.format, batch.file.sheet, batch.file.header_rows) == ("xls", "低保名单", (2, 3))
    assert [(r.row, r.name, r.category, r.values["start_date"]) for r in batch.rows] == [
        (4, "王䶮", "dibao", "2020-05-01"),
        (5, "李秀英", "tekun", "2019-01-01"),
    ]
    assert batch.rows[1].birth_date == dt.date(1948, 12, 30) and batch.rows[1].id_number.endswith("X")
    assert [(p.row, p.code) for p in batch.problems()] == [(6, "id_check_digit")]
