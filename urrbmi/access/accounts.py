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

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from urrbmi.access import passwords
from urrbmi.access.errors import AccountLocked, Unauthorized
from urrbmi.access.scope import Principal
from urrbmi.access.settings import settings
from urrbmi.db.models import Region
from urrbmi.db.models_access import ROLES, SESSION_KINDS, ApiSession, User
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


def _bad_login() -> Unauthorized:
    return Unauthorized("用户名或密码错误", "wrong user name or password", code="bad_credentials")


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


def login(session: Session, username: str, password: str, kind: str) -> LoginResult:
    """Check the password and open a session (``browser``) or issue a bearer token (``token``).

    Wrong passwords count; after ``URRBMI_LOCKOUT_FAILURES`` in a row the account is locked for
    ``URRBMI_LOCKOUT_MINUTES`` (even the right password is refused meanwhile). Failures raise
    after the counter is flushed: the caller commits before answering (see the API's login)."""
    if kind not in SESSION_KINDS:
        raise InvalidInput(f"未知的登录方式{kind}", f"unknown session kind {kind!r}")
    cfg = settings()
    now = audit.now()
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        passwords.verify(passwords.DUMMY_HASH, password)  # same time as for a real user
        raise _bad_login()
    if user.locked_until is not None and _utc(user.locked_until) > now:
        raise AccountLocked(
            "连续登录失败次数过多，账号已暂时锁定，请稍后再试或联系管理员",
            "too many failed logins: the account is locked for a while",
        )
    if user.disabled or not passwords.verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= cfg.lockout_failures:
            user.locked_until = now + cfg.lockout_duration
            user.failed_logins = 0
            audit.record(
                session, f"api:{username}", "users", user.id, "locked", None, {"until": user.locked_until}
            )
        session.flush()
        raise _bad_login()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32) if kind == "browser" else None
    expires = now + (cfg.session_lifetime if kind == "browser" else cfg.token_lifetime)
    session.add(
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
    session.flush()
    audit.record(session, f"api:{username}", "api_sessions", user.id, "login", None, {"kind": kind})
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
