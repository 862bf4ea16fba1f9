"""Password hashes for the editors who may load data in the browser (stored in .streamlit/secrets.toml).

New hashes are Argon2id from `argon2-cffi` (the PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash`,
parameters of RFC 9106's second recommendation); `python -m data hash-password` prints one. Hashes of
the first version — `pbkdf2_sha256$<iterations>$<salt>$<hash>` (standard library, 600,000 iterations)
— still verify; `needs_rehash` says when to replace one (print a new hash and put it in secrets.toml).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

LEGACY_SCHEME = "pbkdf2_sha256"
_HASHER = PasswordHasher()  # Argon2id, RFC 9106 low-memory profile (64 MiB, 3 passes)
#: verified when the user is unknown, so an unknown name takes as long as a wrong password
DUMMY_HASH = _HASHER.hash("kein Benutzer")


def hash_password(password: str, iterations: int | None = None) -> str:
    """An Argon2id hash. With `iterations`, a PBKDF2 hash of the first format instead (tests use a
    few iterations for speed; it still verifies, as hashes in older secrets.toml files do)."""
    if iterations is None:
        return _HASHER.hash(password)
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    b64 = base64.b64encode
    return f"{LEGACY_SCHEME}${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True if `password` matches the stored hash (Argon2 or the older PBKDF2 format); False for a
    wrong password or a malformed hash."""
    if stored.startswith(f"{LEGACY_SCHEME}$"):
        return _verify_legacy(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True for a PBKDF2 hash or an Argon2 hash with weaker parameters than today's."""
    if stored.startswith(f"{LEGACY_SCHEME}$"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _verify_legacy(password: str, stored: str) -> bool:
    try:
        _, iterations, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
