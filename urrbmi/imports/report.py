"""The error report sent back to a department (Excel, Chinese headers): one line per problem with
the row number as in their file, the column, the original value and the reason; a sheet of
dropped duplicates and a sheet of conflicts awaiting review."""

from __future__ import annotations

from pathlib import Path

from urrbmi.export import Book
from urrbmi.imports.model import ListBatch

ERROR_HEADERS = ("行号", "列", "原值", "错误原因", "错误代码", "Reason")
DUPLICATE_HEADERS = ("行号", "与第几行重复", "身份证号码")
CONFLICT_HEADERS = ("身份证号码", "行号", "姓名", "不一致的项目")
SUMMARY_HEADERS = ("项目", "数值")


def write_report(batch: ListBatch, path: Path) -> Path:
    book = Book(streaming=True)
    ws = book.sheet("错误明细")
    ws.append(list(ERROR_HEADERS))
    for p in sorted(batch.problems(), key=lambda p: p.row):
        ws.append([p.row, p.column, p.value, p.zh, p.code, p.en])
    ws = book.sheet("重复行")
    ws.append(list(DUPLICATE_HEADERS))
    for d in batch.duplicates:
        ws.append([d.row, d.same_as, d.id_number])
    ws = book.sheet("冲突待核")
    ws.append(list(CONFLICT_HEADERS))
    for c in batch.conflicts:
        for r in c.rows:
            ws.append([c.id_number, r.row, r.name, "、".join(_FIELD_ZH.get(f, f) for f in c.fields)])
    ws = book.sheet("汇总")
    ws.append(list(SUMMARY_HEADERS))
    for label, value in summary_lines(batch):
        ws.append([label, value])
    return book.save(path)


_FIELD_ZH = {"name": "姓名", "sex": "性别", "birth_date": "出生日期"}


def summary_lines(batch: ListBatch) -> list[tuple[str, str]]:
    c = batch.counts
    f = batch.file
    return [
        ("文件 file", f.path),
        ("SHA-256", f.sha256),
        ("来源 source", batch.source),
        (
            "格式 format",
            f.format + (f" ({f.encoding})" if f.encoding else "") + (f" [{f.sheet}]" if f.sheet else ""),
        ),
        ("表头行 header rows", ",".join(str(n) for n in f.header_rows)),
        ("数据行 data rows", str(c.data_rows)),
        ("有效 valid", str(c.valid)),
        ("无效 invalid", str(c.invalid)),
        ("重复 duplicates dropped", str(c.duplicates)),
        ("冲突 conflicts (IDs / rows)", f"{c.conflicts} / {c.conflict_rows}"),
        ("空行 blank lines", str(c.blank)),
        ("跳过 skipped (footers, repeated headers)", str(c.skipped)),
        ("不同身份证号 distinct IDs", str(c.unique_ids)),
    ]
