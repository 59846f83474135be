"""Password hashing (argon2id) and API tokens hashed at rest (SHA-256 of a 256-bit random token)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


def _make_hasher() -> PasswordHasher:
    """RFC 9106 low-memory argon2id by default. ``YUZHI_PASSWORD_PROFILE=test`` selects argon2's
    CHEAPEST profile so a test suite that creates hundreds of users stays fast; it is refused in
    production. Hashes carry their own parameters, so either profile verifies the other's hashes."""
    import os

    from argon2 import profiles

    if os.environ.get("YUZHI_PASSWORD_PROFILE") == "test":
        if os.environ.get("YUZHI_ENVIRONMENT", "development") == "production":
            raise RuntimeError("YUZHI_PASSWORD_PROFILE=test is not allowed in production")
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


_hasher = _make_hasher()
#: Hash verified for unknown users so a login's timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("dummy-password-for-timing")

TOKEN_PREFIX = "yz_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
