"""The error report sent back to a department (Excel, Chinese headers): one line per problem with
the row number as in their file, the column, the original value and the reason; a sheet of
dropped duplicates and a sheet of conflicts awaiting review."""

from __future__ import annotations

from pathlib import Path

from urrbmi.export import Book, Sheet
from urrbmi.imports.model import ListBatch

ERROR_HEADERS = ("行号", "列", "原值", "错误原因", "错误代码", "Reason")
DUPLICATE_HEADERS = ("行号", "与第几行重复", "身份证号码")
CONFLICT_HEADERS = ("身份证号码", "行号", "姓名", "不一致的项目")
SUMMARY_HEADERS = ("项目", "数值")


def write_report(batch: ListBatch, path: Path, limit: int | None = None) -> Path:
    """``limit``: at most this many lines per sheet (the rest counted in a last line): the API
    keeps its reports in the database (``URRBMI_CHECK_KEEP_ROWS``); the CLI writes them whole."""
    book = Book(streaming=True)
    ws = book.sheet("错误明细")
    ws.append(list(ERROR_HEADERS))
    problems = sorted(batch.problems(), key=lambda p: p.row)
    for p in problems[:limit]:
        ws.append([p.row, p.column, p.value, p.zh, p.code, p.en])
    _more(ws, len(problems), limit)
    ws = book.sheet("重复行")
    ws.append(list(DUPLICATE_HEADERS))
    for d in batch.duplicates[:limit]:
        ws.append([d.row, d.same_as, d.id_number])
    _more(ws, len(batch.duplicates), limit)
    ws = book.sheet("冲突待核")
    ws.append(list(CONFLICT_HEADERS))
    conflict_rows = [(c, r) for c in batch.conflicts for r in c.rows]
    for c, r in conflict_rows[:limit]:
        ws.append([c.id_number, r.row, r.name, "、".join(FIELD_ZH.get(f, f) for f in c.fields)])
    _more(ws, len(conflict_rows), limit)
    ws = book.sheet("汇总")
    ws.append(list(SUMMARY_HEADERS))
    for label, value in summary_lines(batch):
        ws.append([label, value])
    return book.save(path)


FIELD_ZH = {"name": "姓名", "sex": "性别", "birth_date": "出生日期"}


def _more(ws: Sheet, total: int, limit: int | None) -> None:
    if limit is not None and total > limit:
        ws.append([f"……另有{total - limit}行未列出（用命令行 urrbmi list check 得到完整报告）"])
        ws.append([f"... {total - limit} more not listed (urrbmi list check writes the whole report)"])


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
