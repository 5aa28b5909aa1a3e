"""Per-request plumbing: the database, the authenticated principal, CSRF, permissions.

Every endpoint that touches the database opens its transaction with :func:`tx` (committed when
the block succeeds, rolled back on any error, before the response is sent). The principal is
resolved from ``Authorization: Bearer <token>`` (machine clients) or the ``urrbmi_session``
cookie (browsers); with the cookie, every state-changing request must carry the session's CSRF
token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import hmac
import os
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.background import BackgroundTask

from urrbmi.access.accounts import CHANGED_USERS, Resolved, resolve, token_hash
from urrbmi.access.errors import CsrfFailed, DownloadInProgress, Unauthorized
from urrbmi.access.scope import Principal
from urrbmi.access.settings import settings
from urrbmi.db.session import open_db, writer
from urrbmi.interfaces.api.common import attachment
from urrbmi.registry import audit

SESSION_COOKIE = "urrbmi_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(
    auto_error=False, description="机器客户端令牌 / bearer token (POST /api/v1/auth/login)"
)
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="浏览器会话 / browser session"
)


def engine(request: Request) -> Engine:
    """The app's engine, opened (and checked to be migrated) on first use."""
    state = request.app.state
    if getattr(state, "engine", None) is None:
        state.engine = open_db(state.database_url)
        state.sessions = sessionmaker(state.engine, expire_on_commit=False)
        state.writer_sessions = sessionmaker(writer(state.engine), expire_on_commit=False)
    eng: Engine = state.engine
    return eng


@contextmanager
def tx(request: Request, *, write: bool | None = None) -> Iterator[Session]:
    """The request's transaction. A state-changing method's begins as a writer (on SQLite
    ``BEGIN IMMEDIATE``: concurrent writers queue instead of failing, see ``db.session.writer``);
    ``write=False`` keeps a read-only POST (a lookup) a reader, which under WAL takes no lock.
    After it commits, users it changed (disabled, password reset:
    :func:`urrbmi.access.accounts.user_changed`) are dropped from this worker's token cache."""
    engine(request)
    state = request.app.state
    writes = request.method not in SAFE_METHODS if write is None else write
    factory: sessionmaker[Session] = state.writer_sessions if writes else state.sessions
    with factory() as session:
        with session.begin():
            yield session
        changed = session.info.pop(CHANGED_USERS, None)
        if changed:
            token_cache(request).forget_users(changed)


_WRITING: set[tuple[int, str]] = set()  # (user, path) of the downloads this process is writing
_WRITING_LOCK = threading.Lock()


def file_download(
    request: Request,
    user_id: int,
    write: Callable[[Session, Path], tuple[str, str, audit.Export]],
    *,
    suffix: str,
    media_type: str,
) -> FileResponse:
    """A download too large to hold in memory (a county's roster or list, a million rows):
    ``write`` writes it row by row to a temporary file in a read transaction and returns its name
    (in Chinese), an ASCII fallback and its audit row, which is then appended in a short writer
    transaction of its own (:class:`audit.Export`: why not in the read); the file is sent, then
    deleted (at once when either fails: no file leaves without its audit row). One at a time per
    user and endpoint in this process: asking again while the first is written is
    :class:`DownloadInProgress` (429), not a second minute of work."""
    key = (user_id, request.url.path)
    with _WRITING_LOCK:
        if key in _WRITING:
            raise DownloadInProgress()
        _WRITING.add(key)
    fd, tmp = tempfile.mkstemp(prefix="urrbmi-download-", suffix=suffix)
    os.close(fd)
    path = Path(tmp)
    try:
        with tx(request, write=False) as s:
            name, fallback, trail = write(s, path)
        with tx(request, write=True) as s:
            trail.write(s)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        with _WRITING_LOCK:
            _WRITING.discard(key)
    return FileResponse(
        path,
        media_type=media_type,
        headers=attachment(name, fallback),
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@contextmanager
def read_once(request: Request) -> Iterator[Connection]:
    """A connection for a request answered by one ``SELECT`` (the look-up). On PostgreSQL in
    autocommit: no ``BEGIN`` and ``COMMIT`` round trips (one statement reads one snapshot anyway;
    the isolation level is the pooled connection's client-side setting, reset when it goes back
    to the pool). On SQLite a plain read transaction (in-process: nothing to save)."""
    eng = engine(request)
    with eng.connect() as conn:
        if eng.dialect.name == "postgresql":
            yield conn.execution_options(isolation_level="AUTOCOMMIT")
        else:
            with conn.begin():
                yield conn


def _unauthenticated() -> Unauthorized:
    return Unauthorized("未登录或登录已过期，请重新登录", "not logged in or the session expired")


async def current_token(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> tuple[str, bool]:
    """The token and whether it came from the cookie."""
    if bearer is not None and bearer.credentials:
        return bearer.credentials, False
    if cookie:
        return cookie, True
    raise _unauthenticated()


def monotonic() -> float:
    """The cache's clock (a seam for tests)."""
    return time.monotonic()


class TokenCache:
    """Resolved tokens of this worker: token hash → (fresh until, principal).

    An entry lives ``URRBMI_AUTH_CACHE_SECONDS`` (default 5; 0 disables): the hot paths then skip
    a query and a transaction per request. A change made in this worker (logout, disabling a user,
    resetting a password) evicts at once; one made elsewhere (another worker, the CLI) is seen at
    the latest that many seconds later. ``generation`` closes the race of a request that read the
    user from the database before a change committed and would cache the old answer after it: an
    answer read before an eviction is not cached."""

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Resolved]] = {}
        self._lock = threading.Lock()
        self.generation = 0

    def get(self, key: str, now: float) -> Resolved | None:
        hit = self._entries.get(key)
        return hit[1] if hit is not None and hit[0] > now else None

    def put(self, key: str, until: float, resolved: Resolved, generation: int) -> None:
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (until, resolved)

    def forget(self, key: str) -> None:
        with self._lock:
            self.generation += 1
            self._entries.pop(key, None)

    def forget_users(self, user_ids: set[int]) -> None:
        with self._lock:
            self.generation += 1
            for key in [k for k, (_, r) in self._entries.items() if r.principal.user_id in user_ids]:
                del self._entries[key]


def token_cache(request: Request) -> TokenCache:
    cache: TokenCache = request.app.state.auth_cache
    return cache


def _resolve(request: Request, token: str) -> Resolved:
    """The token's principal, from this worker's :class:`TokenCache` when fresh."""
    ttl = settings().auth_cache_seconds
    cache = token_cache(request)
    key = token_hash(token)
    now = monotonic()
    hit = cache.get(key, now)
    if hit is not None:
        return hit
    generation = cache.generation
    with tx(request) as s:
        resolved = resolve(s, token)
    if ttl > 0:
        cache.put(key, now + ttl, resolved, generation)
    return resolved


def forget(request: Request, token: str) -> None:
    token_cache(request).forget(token_hash(token))


async def principal(
    request: Request, token: Annotated[tuple[str, bool], Depends(current_token)]
) -> Principal:
    """Async on purpose, like :func:`current_token` and :func:`need`: a token found in the cache
    costs no hop to the thread pool (each hop is a fair share of a look-up's CPU); only a miss
    reads the database, in the thread pool."""
    value, from_cookie = token
    resolved = token_cache(request).get(token_hash(value), monotonic())
    if resolved is None:
        resolved = await run_in_threadpool(_resolve, request, value)
    if from_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not resolved.csrf_token or not hmac.compare_digest(sent, resolved.csrf_token):
            raise CsrfFailed(
                "缺少或错误的CSRF令牌（请刷新页面后重试）", "missing or wrong CSRF token (reload the page)"
            )
    request.state.user = resolved.principal.username
    return resolved.principal


CurrentPrincipal = Annotated[Principal, Depends(principal)]


def need(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the principal, refused with 403 unless its role has ``permission``."""

    async def check(p: CurrentPrincipal) -> Principal:
        p.require(permission)
        return p

    check.__name__ = f"need_{permission.replace('.', '_')}"
    return check
