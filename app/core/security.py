"""Password hashing, random tokens and CSRF token derivation."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from functools import cache
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Each argon2 run takes 64 MiB: a burst of sign-ins must not take a worker's memory with it.
_argon2_slots = threading.BoundedSemaphore(4)


@cache
def _dummy_hash() -> str:
    """Verifying against this keeps the response time of unknown accounts equal to known ones."""
    return _hasher.hash("klasteris-timing-equaliser")


def hash_password(password: str) -> str:
    with _argon2_slots:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    reference = password_hash or _dummy_hash()
    try:
        with _argon2_slots:
            return _hasher.verify(reference, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Only this digest is stored, so a database leak does not leak usable tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(secret: bytes, seed: str) -> str:
    return hmac.new(secret, b"csrf:" + seed.encode(), hashlib.sha256).hexdigest()


def csrf_token_valid(secret: bytes, seed: str | None, submitted: str | None) -> bool:
    if not seed or not submitted:
        return False
    return hmac.compare_digest(csrf_token_for(secret, seed), submitted)


def safe_redirect_target(target: str | None, default: str = "/") -> str:
    """Only same-site paths: never //host, absolute URLs or backslash tricks."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
