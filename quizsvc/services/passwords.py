"""Password hashing with argon2 (argon2-cffi); cheap parameters only when tests ask for them."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_strong = PasswordHasher()
_fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_hasher = _strong


def use_fast_hashing(fast: bool) -> None:
    global _hasher
    _hasher = _fast if fast else _strong


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# Verifying against this when the e-mail is unknown keeps login timing uniform.
DUMMY_HASH = _strong.hash("not-a-real-password")
