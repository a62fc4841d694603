"""Password hashing with Argon2id (argon2-cffi), the OWASP-recommended algorithm."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

_hasher = PasswordHasher()


def minimum_length() -> int:
    """The fewest characters a password may have: the PASSWORD_MIN_LENGTH setting (12), read here
    only (the forms, their help text and the `grants` command ask this function)."""
    return int(current_app.config["PASSWORD_MIN_LENGTH"])


@cache
def _dummy_hash() -> str:
    """A hash to verify against when there is no real one to check (unknown address, locked
    account), so every failed sign-in costs the same. Made on first use, not at import: the
    `grants` command starts without hashing anything."""
    return _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always one Argon2 verification, even with no hash."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def spend_one_verification(password: str) -> None:
    """The work of `verify_password` without checking any account: for the answers that must not
    be told apart by their timing from a wrong password."""
    verify_password(None, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
