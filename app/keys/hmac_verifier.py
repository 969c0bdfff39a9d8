"""The fleet-wide fast verifier: an HMAC of the key under ``KEY_VERIFIER_SECRET``.

bcrypt stays the at-rest hash. Beside it, each key's row holds a *verifier*: HMAC-SHA256 of
the key under a secret that is never stored in the database, tagged with a short id of that
secret (``<secret id>:<hex digest>``). Any process that knows the secret verifies a key with
one HMAC instead of a bcrypt check, so a restart, a new worker or a new host pays nothing.

- The verifier is written when the key is created (the key is in hand then), so a key's
  very first request pays no bcrypt either.
- A presented key whose HMAC differs from a verifier made under the current secret is
  certainly not the key: it is refused with no bcrypt at all.
- A key whose verifier is missing (a key made before verifiers existed) or was made under
  another secret is checked with bcrypt once, and gets a verifier under the current one.
  Rotating ``KEY_VERIFIER_SECRET`` therefore costs each key one bcrypt check, no outage.
- A database dump alone verifies nothing: without the secret, a verifier is just a hash.
"""

from __future__ import annotations

import enum
import hashlib
import hmac

SECRET_ID_LENGTH = 8  # hex characters naming the secret a verifier was made under


class Verdict(enum.Enum):
    """What a stored verifier says about a presented key."""

    MATCH = "match"  # the key, for certain
    MISMATCH = "mismatch"  # not the key, for certain: no bcrypt needed
    UNKNOWN = "unknown"  # no verifier under this secret: only bcrypt can tell


def derive_secret(secret_key: str) -> bytes:
    """The default ``KEY_VERIFIER_SECRET``: derived from ``SECRET_KEY``, for this use only."""
    return hmac.digest(secret_key.encode(), b"chameleon key verifier", hashlib.sha256)


class VerifierSecret:
    """Make and check verifiers under one secret."""

    __slots__ = ("_secret", "_tag", "secret_id")

    def __init__(self, secret: bytes | str) -> None:
        self._secret = secret.encode() if isinstance(secret, str) else bytes(secret)
        if len(self._secret) < 16:
            raise ValueError("KEY_VERIFIER_SECRET must be at least 16 bytes")
        # Names the secret without revealing anything about it.
        self.secret_id = hmac.new(self._secret, b"secret id", hashlib.sha256).hexdigest()[
            :SECRET_ID_LENGTH
        ]
        self._tag = f"{self.secret_id}:"

    def make(self, key: str) -> str:
        """The verifier of ``key`` (an ASCII key of at most 72 characters)."""
        digest = hmac.digest(self._secret, key.encode("ascii"), hashlib.sha256)
        return self._tag + digest.hex()

    def judge(self, key: str, stored: str | None) -> Verdict:
        """Compare ``key`` with the ``stored`` verifier of the key's row."""
        if not stored or not stored.startswith(self._tag):
            return Verdict.UNKNOWN
        if hmac.compare_digest(self.make(key), stored):
            return Verdict.MATCH
        return Verdict.MISMATCH
