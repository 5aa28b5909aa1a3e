"""Password hashing with argon2id (argon2-cffi; the winner of the Password Hashing Competition,
memory-hard, the OWASP first choice). Parameters are argon2-cffi's RFC 9106 low-memory profile."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from urrbmi.errors import InvalidInput

_HASHER = PasswordHasher()
MIN_LENGTH = 10


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"密码至少{MIN_LENGTH}个字符",
            f"a password has at least {MIN_LENGTH} characters",
            code="weak_password",
        )


def hash_password(password: str) -> str:
    check_strength(password)
    return _HASHER.hash(password)


def verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


@cache
def dummy_hash() -> str:
    """A hash to verify against when the user does not exist (same time either way). Computed on
    first use, not at import: an argon2 hash costs tens of milliseconds and 64 MiB, which no
    command that does not log anyone in should pay."""
    return _HASHER.hash("dummy-password-for-timing")


def __getattr__(name: str) -> str:
    if name == "DUMMY_HASH":  # the name callers use (urrbmi.access.accounts)
        return dummy_hash()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
