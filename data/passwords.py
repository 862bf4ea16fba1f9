"""Password hashes for the editors who may load data in the browser (stored in .streamlit/secrets.toml).

PBKDF2-HMAC-SHA256 from the standard library, 600,000 iterations, random salt; the format is
`pbkdf2_sha256$<iterations>$<salt>$<hash>` (base64). `python -m data hash-password` prints one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ITERATIONS = 600_000
SCHEME = "pbkdf2_sha256"


def hash_password(password: str, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    b64 = base64.b64encode
    return f"{SCHEME}${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True if `password` matches the stored hash; False for a wrong password or a malformed hash."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
