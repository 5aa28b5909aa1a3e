"""Format and encoding detection; row numbers as in the original file."""

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from import_helpers import AS_OF, MINZHENG_HEADER, minzheng_row, person, write_csv

from urrbmi.encoding import decode
from urrbmi.errors import InvalidInput
from urrbmi.imports.check import check_file
from urrbmi.imports.reader import cell_text, read


def test_gb18030_file_with_a_character_outside_gbk(tmp_path: Path) -> None:
    # 䶮 (U+4DAE) is in GB18030 but not in GBK: a GBK-only reader would fail on this file.
    rows = [MINZHENG_HEADER, minzheng_row(1, 姓名="刘䶮"), minzheng_row(2)]
    f = write_csv(tmp_path / "list.csv", rows, "gb18030")
    with pytest.raises(UnicodeDecodeError):
        f.read_bytes().decode("gbk")
    table = read(f)
    assert (table.format, table.encoding) == ("csv", "gb18030")
    assert table.rows[1] == (2, minzheng_row(1, 姓名="刘䶮"))


@pytest.mark.parametrize(
    "encoding,expected",
    [("gbk", "gb18030"), ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16")],
)
def test_encodings_are_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    rows = [MINZHENG_HEADER, minzheng_row(1), minzheng_row(2, 所属乡镇="双堆集镇")]
    table = read(write_csv(tmp_path / "list.csv", rows, encoding))
    assert table.encoding == expected
    assert [cells for _, cells in table.rows] == rows


def test_neither_utf8_nor_gb18030_falls_back_to_charset_normalizer() -> None:
    # GB18030 accepts most byte strings; 0x80 (€ in cp1252) is one it rejects.
    data = ("name,price\n" + "Jürgen Müller,5€\n" * 30).encode("cp1252")
    for strict in ("utf-8", "gb18030"):
        with pytest.raises(UnicodeDecodeError):
            data.decode(strict)
    encoding, text = decode(data)
    assert encoding not in ("utf-8", "gb18030")
    assert text.startswith("name,price") and len(text.splitlines()) == 31


def test_blank_lines_are_counted_and_row_numbers_kept(tmp_path: Path) -> None:
    rows = [MINZHENG_HEADER, [], minzheng_row(1), ["", " ", ""], minzheng_row(2)]
    table = read(write_csv(tmp_path / "l.csv", rows))
    assert [n for n, _ in table.rows] == [1, 3, 5]
    assert table.blank_rows == 2


def test_tab_separated_text(tmp_path: Path) -> None:
    text = "\t".join(MINZHENG_HEADER) + "\n" + "\t".join(minzheng_row(1)) + "\n"
    f = tmp_path / "list.xls"  # text saved with an .xls name, as some systems do
    f.write_bytes(text.encode("gbk"))
    table = read(f)
    assert table.format == "csv" and table.rows[1][1] == minzheng_row(1)


def test_html_table_saved_as_xls(tmp_path: Path) -> None:
    body = "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in (MINZHENG_HEADER, minzheng_row(1))
    )
    html = f'<html><meta charset="gbk"><table><tr><td colspan="8">某某名单</td></tr>{body}</table></html>'
    f = tmp_path / "残联.xls"
    f.write_bytes(html.encode("gbk"))
    table = read(f)
    assert table.format == "html"
    assert table.rows[0] == (1, ["某某名单"] + [""] * 7)
    assert table.rows[2] == (3, minzheng_row(1))


def test_xlsx_row_numbers_numeric_ids_and_dates(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A3"] = "姓名"
    ws["B3"] = "身份证号码"
    ws["C3"] = "认定时间"
    ws["A5"] = "王五"
    ws["B5"] = int(person(3)[:17] + "0") if person(3)[17] != "X" else 0  # typed as a number
    ws["C5"] = dt.datetime(2021, 3, 4)
    f = tmp_path / "l.xlsx"
    wb.save(f)
    table = read(f)
    assert table.format == "xlsx" and table.sheet == "Sheet"
    assert [n for n, _ in table.rows] == [3, 5]
    name, number, date = table.rows[1][1][:3]
    assert name == "王五" and number.isdigit() and len(number) == 18 and date == "2021-03-04"


def test_sha256_of_the_bytes(tmp_path: Path) -> None:
    import hashlib

    f = write_csv(tmp_path / "l.csv", [MINZHENG_HEADER, minzheng_row(1)])
    digest = hashlib.sha256(f.read_bytes()).hexdigest()
    assert read(f).sha256 == digest
    batch = check_file(f, "minzheng", as_of=AS_OF)
    assert batch.file.sha256 == digest and batch.rows[0].file_sha256 == digest and batch.rows[0].row == 2


def test_broken_spreadsheet_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "bad.xlsx"
    f.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InvalidInput, match="无法读取表格文件"):
        read(f)


@pytest.mark.parametrize(
    "value,text",
    [
        (None, ""),
        (123456.0, "123456"),
        (12.5, "12.5"),
        (dt.date(2020, 1, 2), "2020-01-02"),
        (dt.datetime(2020, 1, 2), "2020-01-02"),
        (True, "TRUE"),
        ("x", "x"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text
