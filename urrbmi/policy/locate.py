"""Where in a policy file an error is: the file and line of a schema error or of an unknown
identity, read from the round-trip YAML trees (ruamel) the loader parsed the files into."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from urrbmi.errors import PolicyFileError, UnknownCategory

Trees = list[tuple[Path, CommentedMap]]


def _line_of(tree: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest node of ``loc`` that exists in the YAML tree."""
    node, line = tree, None
    for part in loc:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def _find_line(node: Any, value: str) -> int | None:
    """1-based line of the first scalar equal to ``value`` in a YAML tree."""
    items: list[tuple[Any, Any]] = []
    if isinstance(node, CommentedMap):
        items = [(k, node.lc.value(k)) for k in node]
    elif isinstance(node, CommentedSeq):
        items = [(i, node.lc.item(i)) for i in range(len(node))]
    for key, pos in items:
        child = node[key]
        if isinstance(child, str) and child == value:
            return int(pos[0]) + 1
        found = _find_line(child, value)
        if found is not None:
            return found
    return None


def _located(exc: UnknownCategory, trees: Trees) -> UnknownCategory:
    """An unknown identity in a policy file, with the file and line that names it."""
    quoted = re.search(r"“(.+?)”", exc.zh)
    name = quoted.group(1) if quoted else ""
    pos = str(trees[0][0])
    for file, tree in trees:
        line = _find_line(tree, name) if name else None
        if line is not None:
            pos = f"{file}:{line}"
            break
    return UnknownCategory(f"{pos}：{exc.zh}", f"{pos}: {exc.en}")


def _schema_error(exc: ValidationError, trees: Trees) -> PolicyFileError:
    lines_zh, lines_en = [], []
    for err in exc.errors()[:5]:
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc if not (str(p)[:1].isupper() or "[" in str(p)))
        file, line = trees[0][0], None
        for f, t in trees:
            line = _line_of(t, loc)
            if line is not None:
                file = f
                break
        pos = f"{file}:{line}" if line else str(file)
        lines_zh.append(f"{pos}：字段 {where}：{err['msg']}")
        lines_en.append(f"{pos}: field {where}: {err['msg']}")
    more = len(exc.errors()) - 5
    if more > 0:
        lines_zh.append(f"另有{more}处错误")
        lines_en.append(f"and {more} more")
    return PolicyFileError("；".join(lines_zh), "; ".join(lines_en))
