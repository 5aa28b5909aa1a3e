"""Open vocabularies: the identities a notice (or its jurisdiction) defines, and the one place
every consumer asks for the vocabulary of a policy.

The package's national vocabulary (``categories.yaml``) is always available. On top of it a
policy's vocabulary adds, in this order:

1. ``identities.yaml`` in the directory the policy file is in (a jurisdiction's shared
   identities, for directories on ``URRBMI_POLICY_PATH``), then
2. the policy file's own ``identities:`` section.

New identities are appended after the national ones, so national codes keep their positions
(the batch engine's bit numbers); ``same_as`` entries add a notice's wording to an existing
identity. :func:`all_identities` is the union over every policy on the search path: the batch
engine numbers identity bits from it, and labels for a code with no policy at hand come from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from urrbmi.errors import PolicyFileError, UnknownCategory
from urrbmi.policy import schema as s
from urrbmi.policy.categories import Category, Vocabulary, vocabulary

SHARED_FILE = "identities.yaml"
# the batch engine keeps bit 62 for "unknown name" and bit 63 is the sign: 62 identities in all
MAX_IDENTITIES = 62


def line_of_value(tree: Any, value: str) -> int | None:
    """1-based line of the first scalar equal to ``value`` in a ruamel YAML tree."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq  # error paths only

    if isinstance(tree, CommentedMap):
        for k, v in tree.items():
            if v == value:
                return int(tree.lc.value(k)[0]) + 1
            found = line_of_value(v, value)
            if found is not None:
                return found
    elif isinstance(tree, CommentedSeq):
        for i, v in enumerate(tree):
            if v == value:
                return int(tree.lc.item(i)[0]) + 1
            found = line_of_value(v, value)
            if found is not None:
                return found
    return None


def unknown_name(voc: Vocabulary, name: str, trees: Sequence[tuple[Path, Any]]) -> UnknownCategory:
    """The error for a name no identity has: file:line where it is written, nearest names."""
    where = ""
    for path, tree in trees:
        line = line_of_value(tree, name)
        if line is not None:
            where = f"{path}:{line}"
            break
    if not where and trees:
        where = str(trees[0][0])
    near = voc.nearest(name)
    zh = f"；是否指：{'、'.join(near)}" if near else "；可在政策文件的 identities 中定义"
    en = f"; did you mean: {', '.join(near)}" if near else "; define it under 'identities'"
    return UnknownCategory(f"{where}：未知的人员身份“{name}”{zh}", f"{where}: unknown identity {name!r}{en}")


def resolve_in(voc: Vocabulary, name: str, trees: Sequence[tuple[Path, Any]]) -> Category:
    """``voc.resolve(name)``, but an unknown name is reported with the file and line."""
    try:
        return voc.resolve(name)
    except UnknownCategory:
        raise unknown_name(voc, name, trees) from None


def _categories(
    base: Vocabulary, items: Sequence[s.Identity], path: Path, trees: Sequence[tuple[Path, Any]]
) -> tuple[list[Category], list[Category]]:
    extra: list[Category] = []
    same: list[Category] = []
    for item in items:
        lists = tuple((lv.source, lv.value) for lv in item.lists)
        if item.same_as is not None:
            target = resolve_in(base, item.same_as, trees)
            same.append(
                Category(
                    target.code,
                    item.name,
                    target.en,
                    target.department,
                    target.low_income,
                    item.aliases,
                    lists,
                    str(path),
                )
            )
            continue
        assert item.code is not None
        parent = resolve_in(base, item.extends, trees) if item.extends else None
        department = item.certified_by or (parent.department if parent else "")
        low_income = item.low_income if item.low_income is not None else bool(parent and parent.low_income)
        extra.append(
            Category(
                item.code,
                item.name,
                item.en or item.name,
                department,
                low_income,
                item.aliases,
                lists,
                str(path),
                parent.code if parent else None,
            )
        )
    return extra, same


def _extend(
    base: Vocabulary, items: Sequence[s.Identity], path: Path, trees: Sequence[tuple[Path, Any]]
) -> Vocabulary:
    extra, same = _categories(base, items, path, trees)
    try:
        voc = base.with_identities(extra, same)
    except ValueError as exc:
        raise PolicyFileError(f"{path}：身份定义冲突：{exc}", f"{path}: identities clash: {exc}") from None
    if len(voc.categories) > MAX_IDENTITIES:
        raise PolicyFileError(
            f"{path}：人员身份超过{MAX_IDENTITIES}种", f"{path}: more than {MAX_IDENTITIES} identities"
        )
    return voc


@cache
def _shared(directory: str, _mtime: int) -> tuple[Vocabulary, tuple[tuple[Path, Any], ...]]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    path = Path(directory) / SHARED_FILE
    try:
        tree = YAML(typ="rt").load(path.read_text("utf-8"))
    except (OSError, YAMLError, UnicodeDecodeError) as exc:
        msg = " ".join(str(exc).split())
        raise PolicyFileError(f"{path}：无法读取：{msg}", f"{path}: cannot read: {msg}") from None
    trees = ((path, tree),)
    try:
        model = s.IdentitiesFile.model_validate(_plain(tree))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise PolicyFileError(
            f"{path}：字段 {loc}：{err['msg']}", f"{path}: field {loc}: {err['msg']}"
        ) from None
    return _extend(vocabulary(), model.identities, path, trees), trees


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def shared_vocabulary(directory: Path) -> tuple[Vocabulary, tuple[tuple[Path, Any], ...]]:
    """The vocabulary of a policy directory: national plus its ``identities.yaml`` if any."""
    path = directory / SHARED_FILE
    if not path.is_file():
        return vocabulary(), ()
    return _shared(str(directory.resolve()), path.stat().st_mtime_ns)


def policy_vocabulary(model: s.Policy, path: Path, trees: Sequence[tuple[Path, Any]]) -> Vocabulary:
    """The vocabulary a policy file speaks: national, its directory's shared identities, then
    its own ``identities:`` (see the module docstring)."""
    base, shared_trees = shared_vocabulary(path.parent)
    if not model.identities:
        return base
    return _extend(base, model.identities, path, [*trees, *shared_trees])


def vocabulary_for(policy: Any | None) -> Vocabulary:
    """The vocabulary of a loaded policy (None: the national one). The one entry point for
    engines, imports, the registry and labels."""
    if policy is None:
        return vocabulary()
    voc: Vocabulary = policy.vocabulary
    return voc


def _policies() -> Iterator[Any]:
    from urrbmi.policy.loader import load_policy, policy_ids

    for pid in policy_ids():
        yield load_policy(pid)


def all_identities() -> Vocabulary:
    """National identities plus every identity defined by a policy on the search path (codes in
    order of policy id; a code defined twice must mean the same group). Names that two policies
    give to different codes are left out (use codes there)."""
    from urrbmi.policy.loader import _dirs

    key = tuple(
        (str(f), f.stat().st_mtime_ns) for d in _dirs() if d.is_dir() for f in sorted(d.glob("*.yaml"))
    )
    return _all(key)


@cache
def _all(_key: tuple[tuple[str, int], ...]) -> Vocabulary:
    from urrbmi.policy.categories import _normalize

    national = vocabulary()
    cats: dict[str, Category] = {c.code: c for c in national.categories}
    names: dict[str, set[str]] = {}
    for voc in (national, *(p.vocabulary for p in _policies())):
        for cat in voc.categories:
            known = cats.setdefault(cat.code, cat)
            if known is not cat and cat.lists:  # e.g. a same_as entry's list values
                cats[cat.code] = replace(known, lists=(*known.lists, *cat.lists))
            for k in (cat.code, cat.name, *cat.aliases):
                names.setdefault(_normalize(k), set()).add(cat.code)
    if len(cats) > MAX_IDENTITIES:
        raise PolicyFileError(
            f"政策目录中的人员身份超过{MAX_IDENTITIES}种",
            f"more than {MAX_IDENTITIES} identities on the policy path",
        )
    by_name = {n: cats[next(iter(codes))] for n, codes in names.items() if len(codes) == 1}
    return Vocabulary(tuple(cats.values()), cats, by_name)


def label(code: str, policy: Any | None = None) -> str:
    """The Chinese name of an identity code: the policy's name for it when a policy is given,
    else from any policy on the search path; never a code unless nothing defines it."""
    if policy is not None:
        voc = vocabulary_for(policy)
        if code in voc.by_code:
            return voc.by_code[code].name
    return all_identities().label(code)
