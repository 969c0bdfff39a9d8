"""The fleet-wide fast verifier: an HMAC of the key under ``KEY_VERIFIER_SECRET``.

bcrypt stays the at-rest hash. Beside it, each key's row holds a *verifier*: HMAC-SHA256 of
the key under a secret that is never stored in the database, tagged with a short public id
of that secret (``<secret id>:<hex digest>``). Any process that knows the secret verifies a
key with one HMAC instead of a bcrypt check, so a restart, a new worker or a new host pays
nothing.

- The verifier is written when the key is created (the key is in hand then), so a key's
  very first request pays no bcrypt either.
- A presented key whose HMAC differs from a verifier made under a known secret is
  certainly not the key: it is refused with no bcrypt at all.
- Rotation: earlier secrets stay known as fallbacks (``KEY_VERIFIER_SECRET_FALLBACKS``). A
  verifier made under a fallback still verifies, with one HMAC, and is rewritten under the
  current secret (``Verdict.RENEW``). Only a verifier under no known secret, or none at all
  (a key made before verifiers existed), needs bcrypt, once.
- A database dump alone verifies nothing: without the secret, a verifier is just a hash.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Iterable

SECRET_ID_LENGTH = 8  # hex characters naming the secret a verifier was made under
TAG_LENGTH = SECRET_ID_LENGTH + 1  # the id and its ":"
MIN_SECRET_BYTES = 16


class Verdict(enum.Enum):
    """What a stored verifier says about a presented key."""

    MATCH = "match"  # the key, for certain
    RENEW = "renew"  # the key, for certain, under a fallback: rewrite it under the current one
    MISMATCH = "mismatch"  # not the key, for certain: no bcrypt needed
    UNKNOWN = "unknown"  # no verifier under a known secret: only bcrypt can tell


def derive_secret(secret_key: str) -> bytes:
    """The default ``KEY_VERIFIER_SECRET``: derived from ``SECRET_KEY``, for this use only."""
    return hmac.digest(secret_key.encode(), b"chameleon key verifier", hashlib.sha256)


def secret_id_of(secret: bytes) -> str:
    """The public id of a verifier secret: names it without revealing anything about it."""
    return hmac.new(secret, b"secret id", hashlib.sha256).hexdigest()[:SECRET_ID_LENGTH]


class VerifierSecret:
    """Make verifiers under the current secret; check them under it or any fallback."""

    __slots__ = ("_by_id", "_secret", "_tag", "fallbacks", "secret_id")

    def __init__(self, secret: bytes | str, fallbacks: Iterable[bytes | str] = ()) -> None:
        self._secret = _as_bytes(secret)
        if len(self._secret) < MIN_SECRET_BYTES:
            raise ValueError(f"a verifier secret must be at least {MIN_SECRET_BYTES} bytes")
        self.secret_id = secret_id_of(self._secret)
        self._tag = f"{self.secret_id}:"
        known = {self.secret_id: self._secret}
        earlier: list[VerifierSecret] = []
        for value in fallbacks:
            fallback = VerifierSecret(value)
            same_id = known.get(fallback.secret_id)
            if same_id is None:
                known[fallback.secret_id] = fallback._secret
                earlier.append(fallback)
            elif not hmac.compare_digest(same_id, fallback._secret):
                # Odds of 1 in 4 billion, but a verifier must name its secret unambiguously.
                raise ValueError(f"two verifier secrets share the id {fallback.secret_id}")
        self.fallbacks: tuple[VerifierSecret, ...] = tuple(earlier)
        self._by_id = {fallback.secret_id: fallback for fallback in earlier}

    def make(self, key: str) -> str:
        """The verifier of ``key`` (an ASCII key of at most 72 characters)."""
        digest = hmac.digest(self._secret, key.encode("ascii"), hashlib.sha256)
        return self._tag + digest.hex()

    def make_under_fallbacks(self, key: str) -> list[str]:
        """The verifiers of ``key`` under each fallback, in order (none without fallbacks)."""
        return [fallback.make(key) for fallback in self.fallbacks]

    def judge(self, key: str, stored: str | None) -> Verdict:
        """Compare ``key`` with the ``stored`` verifier of the key's row."""
        if stored and stored.startswith(self._tag):
            return _verdict(hmac.compare_digest(self.make(key), stored), Verdict.MATCH)
        if not stored or not self._by_id or stored[SECRET_ID_LENGTH:TAG_LENGTH] != ":":
            return Verdict.UNKNOWN  # no verifier, or no fallback to try
        fallback = self._by_id.get(stored[:SECRET_ID_LENGTH])
        if fallback is None:
            return Verdict.UNKNOWN  # made under a secret no longer known
        return _verdict(hmac.compare_digest(fallback.make(key), stored), Verdict.RENEW)


def _verdict(equal: bool, when_equal: Verdict) -> Verdict:
    return when_equal if equal else Verdict.MISMATCH


def _as_bytes(secret: bytes | str) -> bytes:
    return secret.encode() if isinstance(secret, str) else bytes(secret)
