"""bcrypt for passwords and keys: hash at a configured cost, check in constant time."""

from __future__ import annotations

import functools

import bcrypt

BCRYPT_MAX_BYTES = 72


def hash_secret(secret: bytes, rounds: int) -> str:
    """Return the bcrypt hash of ``secret`` (at most 72 bytes) at cost ``rounds``."""
    if len(secret) > BCRYPT_MAX_BYTES:
        # bcrypt would silently ignore the rest; refuse rather than truncate.
        raise ValueError("bcrypt takes at most 72 bytes")
    if b"\x00" in secret:
        # bcrypt stops at a NUL: "\x00" * 20 would hash as the empty password.
        raise ValueError("bcrypt cannot take a NUL byte")
    return bcrypt.hashpw(secret, bcrypt.gensalt(rounds)).decode("ascii")


def check_secret(secret: bytes, hashed: str) -> bool:
    """Whether ``secret`` matches the bcrypt hash ``hashed``."""
    if len(secret) > BCRYPT_MAX_BYTES or b"\x00" in secret:
        return False  # nothing with a NUL was ever hashed (above)
    return bcrypt.checkpw(secret, hashed.encode("ascii"))


@functools.cache
def dummy_hash(rounds: int) -> str:
    """A hash of nothing anyone knows, checked when a user is unknown so timing matches."""
    return hash_secret(b"chameleon: no such user", rounds)
