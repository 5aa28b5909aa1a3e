"""The validated-policy cache: a checked :class:`LoadedPolicy` kept on disk between processes,
so a one-resident ``urrbmi quote`` neither parses YAML nor validates the schema (issue 17.6;
docs/decisions.md, "A quote process as light as its peer").

An entry is a pickle in the user's cache directory (``URRBMI_CACHE_DIR``, else
``$XDG_CACHE_HOME/urrbmi``, else ``~/.cache/urrbmi``), under ``policies/``, named by the SHA-256
of the policy file's path (resolved, and as given) and bytes. It records every input the checked
policy depends on — the file, the file it amends (``extends``) as the search path resolves it
*now*, the directory's ``identities.yaml`` (or that there is none) — with their SHA-256, and a
digest of the code that reads policies (the ``urrbmi/policy`` modules and ``categories.yaml``,
the package, pydantic and Python versions). An entry is used only when all of these are
unchanged; anything else — a changed or moved file, an unreadable, truncated or foreign entry,
another version — is a miss: the policy is read from YAML again and the entry rewritten
(atomically; one entry is kept per policy id, so old versions do not pile up). Errors are never
cached. The cache is skipped where it cannot be trusted (a directory that is not the user's own
or is writable by others) and with ``URRBMI_POLICY_CACHE=0``.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from urrbmi.policy.identities import SHARED_FILE
from urrbmi.policy.loaded import LoadedPolicy

FORMAT = "urrbmi-policy-cache-1"


def cache_dir() -> Path | None:
    """The directory of cached policies, or None when the cache is off or not safe to use."""
    if os.environ.get("URRBMI_POLICY_CACHE", "1").strip().lower() in ("0", "off", "false", "no"):
        return None
    root = os.environ.get("URRBMI_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "urrbmi"
    )
    return Path(root) / "policies"


def _trusted(directory: Path) -> bool:
    """Ours and not writable by others: a pickle is code, so only our own files are read."""
    try:
        st = directory.stat()
    except OSError:
        return False
    own = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return stat.S_ISDIR(st.st_mode) and own and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


@cache
def code_digest() -> str:
    """What the checked form of a policy depends on besides its files: the code that reads it."""
    import pydantic

    import urrbmi

    h = hashlib.sha256(f"{FORMAT}|{urrbmi.__version__}|{pydantic.VERSION}|{sys.version}".encode())
    here = Path(__file__).parent
    for f in sorted([*here.glob("*.py"), here / "categories.yaml"]):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def dependencies(path: Path, base: Path | None) -> tuple[tuple[str, str | None], ...]:
    """(file, its SHA-256 or None when absent) of every file a policy's checked form reads."""
    files = [path, *([base] if base is not None else []), path.parent / SHARED_FILE]
    return tuple((str(f), _sha(f)) for f in files)


def _entry(directory: Path, path: Path, data: bytes) -> Path:
    # the path as given too: the checked policy records it (``LoadedPolicy.path``, where identities
    # were defined), so a relative and an absolute spelling of one file are two entries
    key = hashlib.sha256(f"{path.resolve()}\0{path}\0".encode() + data).hexdigest()
    return directory / f"{path.stem}-{key[:32]}.pickle"


def cached(
    path: Path,
    data: bytes,
    resolve_base: Callable[[str], Path],
    build: Callable[[], tuple[LoadedPolicy, Path | None]],
) -> LoadedPolicy:
    """The checked policy of ``path`` (whose bytes are ``data``): from the cache when every input
    is unchanged, else ``build()`` (which returns the policy and the file it extends) stored."""
    directory = cache_dir()
    if directory is None:
        return build()[0]
    entry = _entry(directory, path, data)
    hit = _read(entry, path, resolve_base) if _trusted(directory) else None
    if hit is not None:
        return hit
    policy, base = build()
    _write(directory, entry, (FORMAT, code_digest(), policy.model.extends, dependencies(path, base), policy))
    return policy


def _read(entry: Path, path: Path, resolve_base: Callable[[str], Path]) -> LoadedPolicy | None:
    try:
        with entry.open("rb") as f:
            fmt, digest, extends, deps, policy = pickle.load(f)
        if fmt != FORMAT or digest != code_digest() or not isinstance(policy, LoadedPolicy):
            return None
        base = resolve_base(extends) if extends else None  # the search path may have changed
    except Exception:  # a corrupt, truncated or foreign entry (or a base no longer found): a miss
        return None
    return policy if deps == dependencies(path, base) else None


def _write(directory: Path, entry: Path, value: Any) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _trusted(directory):
            return
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, entry)
        except BaseException:
            os.unlink(tmp)
            raise
        stem = entry.name.rsplit("-", 1)[0]
        for old in directory.glob(f"{stem}-*.pickle"):  # one entry per policy id
            if old != entry and old.name.rsplit("-", 1)[0] == stem:
                old.unlink(missing_ok=True)
    except Exception:  # a read-only or full disk: the cache is an optimisation, never an error
        return
