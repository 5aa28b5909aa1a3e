"""Users, login with lock-out, browser sessions and bearer tokens.

Tokens are 256-bit random strings (``secrets.token_urlsafe``); only their SHA-256 is stored, so a
copy of the database does not let anyone log in. A browser session also carries a CSRF token
(synchronizer pattern: the browser sends it back in the ``X-CSRF-Token`` header on every
state-changing request). Times are UTC instants.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, case, literal, or_, select, update
from sqlalchemy.orm import Session

from urrbmi.access import passwords
from urrbmi.access.errors import Unauthorized
from urrbmi.access.scope import Principal
from urrbmi.access.settings import Settings, settings
from urrbmi.db.models import Region
from urrbmi.db.models_access import ROLES, SESSION_KINDS, ApiSession, User
from urrbmi.db.session import session_scope
from urrbmi.errors import InvalidInput
from urrbmi.registry import audit
from urrbmi.registry.errors import Conflict, NotFound
from urrbmi.registry.regions import get_region, prefix

# last_seen_at is written at most this often (not on every request: the hot paths stay read-only)
TOUCH_EVERY = dt.timedelta(seconds=60)


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes for timezone-aware columns: they were stored as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _bad_login(cfg: Settings) -> Unauthorized:
    """The one answer to every refused login (unknown user, wrong password, disabled, locked)."""
    n, minutes = cfg.lockout_failures, int(cfg.lockout_duration.total_seconds() // 60)
    return Unauthorized(
        f"用户名或密码错误（连续失败{n}次后账号锁定{minutes}分钟，可请管理员重置密码解锁）",
        f"wrong user name or password (after {n} failures in a row the account is locked for "
        f"{minutes} minutes; an administrator can unlock it by resetting the password)",
        code="bad_credentials",
    )


def _unauthenticated() -> Unauthorized:
    return Unauthorized("未登录或登录已过期，请重新登录", "not logged in or the session expired")


# --- users ---------------------------------------------------------------------------------


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    region_code: str,
    *,
    sources: tuple[str, ...] = (),
    display_name: str = "",
    actor: str,
) -> User:
    if role not in ROLES:
        raise InvalidInput(
            f"未知角色{role}；可用：{'、'.join(ROLES)}", f"unknown role {role!r}; one of {ROLES}"
        )
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum():
        raise InvalidInput("用户名应为字母、数字、下划线或点", "a user name is letters, digits, '_' or '.'")
    get_region(session, region_code)
    if role == "dept_uploader" and not sources:
        raise InvalidInput("部门名单报送员须指定可报送的名单来源", "a department uploader needs its sources")
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"用户{username}已存在", f"user {username} already exists")
    stamp = audit.now()
    user = User(
        username=username,
        display_name=display_name,
        password_hash=passwords.hash_password(password),
        role=role,
        region_code=region_code,
        sources=",".join(sorted(set(sources))),
        disabled=False,
        failed_logins=0,
        created_at=stamp,
        password_changed_at=stamp,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "users",
        user.id,
        "insert",
        None,
        {"username": username, "role": role, "region": region_code, "sources": user.sources},
    )
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"没有用户{username}", f"no user {username}")
    return user


def list_users(session: Session, *, under: str | None = None) -> list[User]:
    stmt = select(User).order_by(User.username)
    if under is not None:
        stmt = stmt.where(User.region_code.startswith(under, autoescape=True))
    return list(session.scalars(stmt))


# session.info key: ids of the users whose sessions this transaction ends or whose role, region or
# standing it changes. The API evicts them from its worker's token cache once the transaction
# commits (urrbmi.interfaces.api.deps.tx); other workers drop them within the cache's lifetime.
CHANGED_USERS = "urrbmi.changed_users"


def user_changed(session: Session, user_id: int) -> None:
    """Mark ``user_id`` as changed in this transaction (cached principals of it are stale). Every
    change to a user's status, password, role or region must call this."""
    session.info.setdefault(CHANGED_USERS, set()).add(user_id)


def _revoke_all(session: Session, user_id: int) -> None:
    session.execute(update(ApiSession).where(ApiSession.user_id == user_id).values(revoked=True))
    user_changed(session, user_id)


def disable_user(session: Session, username: str, *, actor: str) -> None:
    user = get_user(session, username)
    user.disabled = True
    _revoke_all(session, user.id)
    audit.record(session, actor, "users", user.id, "disable", {"disabled": False}, {"disabled": True})


def reset_password(session: Session, username: str, password: str, *, actor: str) -> None:
    """New password; unlocks the account and ends its sessions."""
    user = get_user(session, username)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = audit.now()
    user.failed_logins = 0
    user.locked_until = None
    user.disabled = False
    _revoke_all(session, user.id)
    audit.record(session, actor, "users", user.id, "reset_password", None, {"username": username})


# --- login and sessions --------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    token: str
    csrf_token: str | None
    expires_at: dt.datetime
    user: User


@dataclass(frozen=True)
class _Attempt:
    user_id: int
    slot: int  # this attempt's number in the current run of failures (1 = the first)
    password_hash: str
    disabled: bool


def _reserve(session: Session, username: str, now: dt.datetime, cfg: Settings) -> _Attempt | None:
    """Count an attempt before its password is checked, in one statement; ``None`` when the user
    does not exist or is locked (the caller cannot tell which, and neither can the answer).

    An expired lock starts a new run; the attempt that brings the run to the limit locks the
    account at once, so attempts still in flight count and no more than the limit get through."""
    limit = cfg.lockout_failures
    run = case((User.locked_until.is_(None), User.failed_logins + 1), else_=1)
    row = session.execute(
        update(User)
        .where(User.username == username)
        .where(or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(
            failed_logins=run,
            locked_until=case((run >= limit, literal(now + cfg.lockout_duration, User.locked_until.type))),
        )
        .returning(User.id, User.failed_logins, User.password_hash, User.disabled)
        .execution_options(synchronize_session=False)
    ).first()
    return None if row is None else _Attempt(row[0], row[1], row[2], row[3])


def login(engine: Engine, username: str, password: str, kind: str) -> LoginResult:
    """Check the password and open a session (``browser``) or issue a bearer token (``token``).

    After ``URRBMI_LOCKOUT_FAILURES`` failed attempts in a row the account is locked for
    ``URRBMI_LOCKOUT_MINUTES``: even the right password is refused meanwhile. Concurrent attempts
    cannot pass the limit: each is counted (committed) before its password is checked, and a
    success clears the count. An unknown user, a wrong password, a disabled or a locked account
    get the same answer by the same path (one update, one argon2 check), so the answer does not
    tell which user names exist. Runs its own transactions (none is open while argon2 runs)."""
    if kind not in SESSION_KINDS:
        raise InvalidInput(f"未知的登录方式{kind}", f"unknown session kind {kind!r}")
    cfg = settings()
    with session_scope(engine, write=True) as s:
        attempt = _reserve(s, username, audit.now(), cfg)
    ok = passwords.verify(passwords.dummy_hash() if attempt is None else attempt.password_hash, password)
    if attempt is None or attempt.disabled or not ok:
        if attempt is not None and attempt.slot >= cfg.lockout_failures:
            with session_scope(engine, write=True) as s:
                until = s.scalar(select(User.locked_until).where(User.id == attempt.user_id))
                audit.record(s, f"api:{username}", "users", attempt.user_id, "locked", None, {"until": until})
        raise _bad_login(cfg)
    rehashed = passwords.hash_password(password) if passwords.needs_rehash(attempt.password_hash) else None
    with session_scope(engine, write=True) as s:
        # the run ends, unless a later attempt of the same run has locked the account meanwhile
        s.execute(
            update(User)
            .where(User.id == attempt.user_id)
            .where(or_(User.locked_until.is_(None), User.failed_logins == attempt.slot))
            .values(failed_logins=0, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        user = s.get_one(User, attempt.user_id)
        if rehashed is not None and user.password_hash == attempt.password_hash:
            user.password_hash = rehashed
        now = audit.now()
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32) if kind == "browser" else None
        expires = now + (cfg.session_lifetime if kind == "browser" else cfg.token_lifetime)
        s.add(
            ApiSession(
                token_hash=token_hash(token),
                user_id=user.id,
                kind=kind,
                csrf_token=csrf,
                created_at=now,
                expires_at=expires,
                last_seen_at=now,
                revoked=False,
            )
        )
        s.flush()
        audit.record(s, f"api:{username}", "api_sessions", user.id, "login", None, {"kind": kind})
    return LoginResult(token, csrf, expires, user)


@dataclass(frozen=True)
class Resolved:
    principal: Principal
    csrf_token: str | None
    expires_at: dt.datetime


def resolve(session: Session, token: str) -> Resolved:
    """The principal behind a token, or :class:`Unauthorized` (unknown, revoked, expired, idle,
    disabled user). One query; ``last_seen_at`` is refreshed at most once a minute."""
    row = session.execute(
        select(ApiSession, User, Region)
        .join(User, User.id == ApiSession.user_id)
        .join(Region, Region.code == User.region_code)
        .where(ApiSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        raise _unauthenticated()
    s, user, region = row
    now = audit.now()
    last = _utc(s.last_seen_at)
    if (
        s.revoked
        or user.disabled
        or _utc(s.expires_at) <= now
        or (s.kind == "browser" and now - last > settings().idle_timeout)
    ):
        raise _unauthenticated()
    if now - last > TOUCH_EVERY:
        s.last_seen_at = now
    principal = Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        region_code=user.region_code,
        region_prefix=prefix(region),
        sources=frozenset(x for x in user.sources.split(",") if x),
        session_kind=s.kind,
    )
    return Resolved(principal, s.csrf_token, _utc(s.expires_at))


def logout(session: Session, token: str) -> None:
    session.execute(update(ApiSession).where(ApiSession.token_hash == token_hash(token)).values(revoked=True))
