"""Password hashing (argon2id via argon2-cffi) and the password policy.

A dummy hash is verified for unknown users so that "no such user" and "wrong password" cost the
same time and give the same answer."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gateway.auth.settings import AuthSettings

MIN_LENGTH = 10
MAX_LENGTH = 1024


class PasswordPolicyError(ValueError):
    pass


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher(settings: AuthSettings | None = None) -> PasswordHasher:
    s = settings or AuthSettings()
    return _hasher(s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism)


@lru_cache(maxsize=8)
def _dummy(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash("not a password of anyone")


def check_policy(username: str, password: str) -> None:
    """Raise PasswordPolicyError unless the password is acceptable."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"password must have at most {MAX_LENGTH} characters")
    if password.strip().casefold() == username.strip().casefold():
        raise PasswordPolicyError("password must not be the username")


def hash_password(password: str, settings: AuthSettings | None = None) -> str:
    return hasher(settings).hash(password)


def verify_password(
    stored: str | None, password: str, settings: AuthSettings | None = None
) -> bool:
    """True if `password` matches `stored`; with `stored=None` a dummy hash is checked (same
    cost) and the answer is False."""
    s = settings or AuthSettings()
    ph = hasher(s)
    target = stored or _dummy(s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism)
    try:
        ok = ph.verify(target, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return bool(ok) and stored is not None


def needs_rehash(stored: str, settings: AuthSettings | None = None) -> bool:
    return hasher(settings).check_needs_rehash(stored)
