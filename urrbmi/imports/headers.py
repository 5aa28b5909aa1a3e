"""Finding the header row(s) of a department list and mapping columns to fields.

Lists often start with a title ("濉溪县2021年9月低保人员名单") and may have a two-row header
whose upper row groups columns under merged cells ("基本信息" over 姓名/性别/身份证号码) while other
columns are merged vertically over both rows. The header is the one row, or pair of adjacent
rows, among the first 20 that maps the most columns to known fields; a pair wins only if it maps
more than either row alone. For a pair, each column takes the lower cell, the upper cell, or
both joined, whichever is a known alias.
"""

from __future__ import annotations

from dataclasses import dataclass

from urrbmi.errors import InvalidInput
from urrbmi.imports.config import SourceConfig
from urrbmi.imports.normalize import header_key

SCAN_ROWS = 20


@dataclass(frozen=True, slots=True)
class Header:
    rows: tuple[int, ...]  # file row numbers of the header (one or two)
    columns: dict[str, int]  # field -> column index (first column wins)
    labels: dict[int, str]  # column index -> header text as shown in the file (for reports)
    ignored: tuple[str, ...]  # header texts not mapped to a field (序号, …)
    repeated: tuple[str, ...]  # fields that more than one column maps to (the first is used)


def _map(keys: list[list[str]], config: SourceConfig) -> tuple[dict[str, int], dict[int, str], list[str]]:
    """Map columns given candidate header texts per column (first candidate that is an alias)."""
    columns: dict[str, int] = {}
    labels: dict[int, str] = {}
    repeated: list[str] = []
    for c, candidates in enumerate(keys):
        for text in candidates:
            fld = config.aliases.get(header_key(text))
            if fld is not None:
                labels[c] = text
                if fld in columns:
                    repeated.append(fld)
                else:
                    columns[fld] = c
                break
    return columns, labels, repeated


def find_header(rows: list[tuple[int, list[str]]], config: SourceConfig) -> tuple[Header, int]:
    """The header and the index in ``rows`` of the first data row."""
    best: tuple[int, int, Header] | None = None  # (score, -rows used, header)
    top = rows[:SCAN_ROWS]
    single_scores: list[int] = []
    for number, cells in top:
        columns, labels, repeated = _map([[c] for c in cells], config)
        single_scores.append(len(columns))
        cand = Header((number,), columns, labels, _ignored(cells, labels), tuple(repeated))
        if best is None or (len(columns), -1) > best[:2]:
            best = (len(columns), -1, cand)
    for i in range(len(top) - 1):
        (n1, upper), (n2, lower) = top[i], top[i + 1]
        width = max(len(upper), len(lower))
        upper = upper + [""] * (width - len(upper))
        lower = lower + [""] * (width - len(lower))
        filled = _forward_fill(upper)
        keys = [[lower[c], upper[c], filled[c] + lower[c]] for c in range(width)]
        columns, labels, repeated = _map(keys, config)
        if (
            len(columns) > max(single_scores[i], single_scores[i + 1])
            and best is not None
            and (len(columns) > best[0])
        ):
            shown = [labels.get(c, lower[c] or upper[c]) for c in range(width)]
            best = (
                len(columns),
                -2,
                Header((n1, n2), columns, labels, _ignored(shown, labels), tuple(repeated)),
            )
    if best is None or "id_number" not in best[2].columns or "name" not in best[2].columns:
        raise InvalidInput(
            f"在前{SCAN_ROWS}行中找不到含“姓名”和“身份证号码”的表头（来源：{config.name}）",
            f"no header with a name and an ID column in the first {SCAN_ROWS} rows (source {config.key})",
            code="header_not_found",
        )
    header = best[2]
    missing = [f for f in config.required if f not in header.columns]
    if missing:
        raise InvalidInput(
            f"表头缺少必需的列：{'、'.join(missing)}（来源：{config.name}）",
            f"the header lacks required columns: {', '.join(missing)} (source {config.key})",
            code="header_missing_column",
        )
    last = header.rows[-1]
    start = next(i for i, (n, _) in enumerate(rows) if n == last) + 1
    return header, start


def _forward_fill(cells: list[str]) -> list[str]:
    out: list[str] = []
    last = ""
    for c in cells:
        last = c or last
        out.append(last)
    return out


def _ignored(cells: list[str], labels: dict[int, str]) -> tuple[str, ...]:
    return tuple(c for i, c in enumerate(cells) if c.strip() and i not in labels)
