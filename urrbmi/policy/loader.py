"""Finding and reading policy files.

Policy files are YAML, one per notice, named ``<id>.yaml``. They are looked up in the
directories of ``URRBMI_POLICY_PATH`` (``:``-separated, searched first, so a bureau can add its
own notice or fill a gap without touching the package) and then in the package's ``policies/``.

Reading is strict: YAML floats become exact :class:`~decimal.Decimal` (from the shortest text
that round-trips, so ``73.2`` is ``Decimal("73.2")``); the schema rejects unknown and misspelt
fields; and cross-field checks (:mod:`urrbmi.policy.checks`: every class has a standard in every
tier, every category is in the vocabulary, every bracketed amount the notice states equals what
the rule computes, every citation names a known document) run before a policy is used. Errors
name the file, the line and the field (:mod:`urrbmi.policy.locate`). A checked policy is kept
between processes in the validated-policy cache (:mod:`urrbmi.policy.store`), so YAML (ruamel,
round-trip, for the line numbers) and pydantic validation run once per file content.
"""

from __future__ import annotations

import hashlib
import os
import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from urrbmi.errors import PolicyFileError, UnknownPolicy
from urrbmi.policy import store
from urrbmi.policy.identities import SHARED_FILE
from urrbmi.policy.loaded import ROUNDING, LoadedPolicy, percent_of

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

# names other modules import from here (the loader's public face before the split, issue 16)
__all__ = ["POLICY_ID", "ROUNDING", "LoadedPolicy", "find_policy_file", "load_policy", "load_policy_file"]
__all__ += ["percent_of", "policy_for", "policy_ids"]

# --- search path ---------------------------------------------------------------------------


def _dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("URRBMI_POLICY_PATH", "").split(":") if p]
    builtin = Path(__file__).with_name("policies")  # the package's files (as resources.files)
    return [*extra, builtin]


def policy_ids() -> list[str]:
    """Ids of every policy on the search path, sorted."""
    found: set[str] = set()
    for d in _dirs():
        if d.is_dir():
            names = (p for p in d.glob("*.yaml") if p.name != SHARED_FILE)
            found.update(p.stem for p in names if not p.name.endswith(".tests.yaml"))
    return sorted(found)


def policy_for(jurisdiction_code: str, benefit_year: int) -> LoadedPolicy:
    """The policy of a jurisdiction (GB/T 2260 code) for a benefit year: each year's notice is
    its own file, so a campaign binds to exactly one. Amendments (``extends``) win over the
    notice they amend; two unrelated policies for the same year are an error."""
    found = [
        p
        for p in (load_policy(pid) for pid in policy_ids())
        if p.model.jurisdiction.code == jurisdiction_code and p.benefit_year == benefit_year
    ]
    amended = {p.model.extends for p in found if p.model.extends}
    found = [p for p in found if p.id not in amended]
    if len(found) == 1:
        return found[0]
    if not found:
        raise UnknownPolicy(
            f"没有辖区{jurisdiction_code}的{benefit_year}年度政策",
            f"no policy for jurisdiction {jurisdiction_code}, benefit year {benefit_year}",
        )
    ids = ", ".join(p.id for p in found)
    raise PolicyFileError(
        f"辖区{jurisdiction_code}的{benefit_year}年度有多个政策：{ids}；请用 extends 表明修订关系",
        f"several policies for {jurisdiction_code} in {benefit_year}: {ids}; mark amendments with 'extends'",
    )


POLICY_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def find_policy_file(policy_id: str) -> Path:
    if len(policy_id) > 80 or not POLICY_ID.fullmatch(policy_id):
        # never let an id reach the file system unchecked (path traversal, absurd names)
        raise UnknownPolicy(
            "政策id只能由小写字母、数字和连字符组成，如 suixi-2022",
            "a policy id has lower-case letters, digits and hyphens, e.g. suixi-2022",
        )
    for d in _dirs():
        candidate = d / f"{policy_id}.yaml"
        if candidate.is_file():
            return candidate
    known = ", ".join(policy_ids())
    raise UnknownPolicy(
        f"找不到政策“{policy_id}”；可用政策：{known}",
        f"no policy {policy_id!r}; available: {known}",
    )


def load_policy(policy_id: str) -> LoadedPolicy:
    """Load a policy by id (cached per file content)."""
    path = find_policy_file(policy_id)
    return _load_cached(str(path), path.stat().st_mtime_ns)


@cache
def _load_cached(path: str, _mtime: int) -> LoadedPolicy:
    return load_policy_file(Path(path))


# --- reading ---------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PolicyFileError(f"无法读取政策文件{path}：{exc}", f"cannot read {path}: {exc}") from None


def _read(path: Path, data: bytes | None = None) -> tuple[CommentedMap, bytes]:
    """The round-trip YAML tree of a policy file (its lines locate errors) and its bytes."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    if data is None:
        data = _read_bytes(path)
    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    try:
        tree = y.load(data.decode("utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        msg = " ".join(str(exc).split())
        raise PolicyFileError(f"{path}：YAML格式错误：{msg}", f"{path}: invalid YAML: {msg}") from None
    if not isinstance(tree, CommentedMap):
        raise PolicyFileError(f"{path}：顶层应为映射", f"{path}: the top level must be a mapping")
    return tree, data


def _plain(node: Any) -> Any:
    """CommentedMap/Seq -> dict/list; floats -> exact Decimal."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, float):
        return Decimal(repr(float(node)))
    if isinstance(node, int):
        return int(node)
    if isinstance(node, str):
        return str(node)
    return node


_MERGE_KEYS = ("id", "code")


def _merge(base: Any, over: Any) -> Any:
    """Overlay an amending file on its base: mappings merge key by key, except that a mapping
    with its own ``cite`` (a restated rule) replaces the base's whole; lists of mappings with
    ``id``/``code`` merge by that key; anything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        if "cite" in over or "gap" in over:
            return over  # a rule restated by the amendment, with its own citation
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    if isinstance(base, list) and isinstance(over, list):
        key = next(
            (k for k in _MERGE_KEYS if all(isinstance(i, dict) and k in i for i in base + over)),
            None,
        )
        if key is None:
            return over
        merged = {i[key]: i for i in base}
        for item in over:
            merged[item[key]] = _merge(merged[item[key]], item) if item[key] in merged else item
        return list(merged.values())
    return over


def load_policy_file(path: Path) -> LoadedPolicy:
    """Read and check one policy file (from the validated-policy cache when nothing changed)."""
    data = _read_bytes(path)
    return store.cached(path, data, find_policy_file, lambda: _build(path, data))


def _build(path: Path, data: bytes) -> tuple[LoadedPolicy, Path | None]:
    """The checked policy of a file whose bytes are ``data``, and the file it amends (if any)."""
    from pydantic import ValidationError

    from urrbmi.policy import schema as s
    from urrbmi.policy.checks import check
    from urrbmi.policy.locate import _schema_error

    tree, _ = _read(path, data)
    raw = _plain(tree)
    trees: list[tuple[Path, CommentedMap]] = [(path, tree)]
    digest = hashlib.sha256(data)
    base_path = None
    if raw.get("extends"):
        base_path = find_policy_file(str(raw["extends"]))
        if base_path.resolve() == path.resolve():
            raise PolicyFileError(f"{path}：不能继承自身", f"{path}: a policy cannot extend itself")
        base_tree, base_data = _read(base_path)
        base_raw = _plain(base_tree)
        if base_raw.get("extends"):
            raise PolicyFileError(
                f"{path}：只支持一层修订（{base_path}本身也是修订）",
                f"{path}: only one level of amendment is supported ({base_path} extends another)",
            )
        raw = _merge(base_raw, raw)
        trees.append((base_path, base_tree))
        digest.update(base_data)
    try:
        model = s.Policy.model_validate(raw)
    except ValidationError as exc:
        raise _schema_error(exc, trees) from None
    if model.id != path.stem:
        raise PolicyFileError(
            f"{path}：文件名应为政策id“{model.id}.yaml”",
            f"{path}: the file name must be the policy id ({model.id}.yaml)",
        )
    return check(model, path, digest.hexdigest()[:12], trees), base_path
