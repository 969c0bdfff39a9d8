"""Verify a presented key: cheap checks first, bcrypt at most once per key per fleet.

The order is the point:

1. shape and checksum: a typo or an invented key never reaches the database or bcrypt;
2. one indexed read of the key id, with the owner's role and active flag and the key's
   revoked state and verifier, so a revocation is effective on the very next request;
3. a revoked key, or a key of a deactivated user, is refused without looking at its secret;
4. the verifier (app/keys/hmac_verifier.py): one HMAC says "the key" or "not the key";
5. ``bcrypt.checkpw`` only for a key with no verifier under the current secret, after
   ``may_check_hash`` allowed it, and then never again for that key anywhere;
6. expiry last, so that only the genuine key is told it expired.

A key id the database did not know is remembered for a minute (app/keys/unknown.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from app.hashing import check_secret
from app.keys.format import KEY_LENGTH, parse_key
from app.keys.hmac_verifier import Verdict, VerifierSecret
from app.keys.lookup import KeyLookup, KeyRecord
from app.keys.unknown import UnknownKeyIds
from app.models.columns import utcnow


class AuthenticatedKey(NamedTuple):
    """Who a verified key speaks for; what the API views see as ``g.api_key``."""

    key_pk: int
    key_id: str
    name: str
    user_id: int
    email: str
    role: str
    access: str  # "full" or "read"


class KeyRejected(Exception):
    """The presented key does not authenticate.

    ``reason`` (malformed, unknown, revoked, inactive_user, wrong_secret, expired) is for
    logs, metrics and tests. Every client gets the same "API key not found", but for
    ``expired``: only the genuine key learns that it expired. ``key_pk`` and
    ``key_id`` name the key's row when the key id exists, so its owner sees the refusal.
    ``counted``: the failure was already charged to the failed-check budgets (before its
    bcrypt check ran).
    """

    def __init__(
        self,
        reason: str,
        key_pk: int | None = None,
        key_id: str | None = None,
        *,
        counted: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key_pk = key_pk
        self.key_id = key_id
        self.counted = counted


class KeyCheckRefused(Exception):
    """A bcrypt check was needed but the budget for failed checks is spent."""

    def __init__(self, key_pk: int, key_id: str) -> None:
        super().__init__(key_id)
        self.key_pk = key_pk
        self.key_id = key_id


class KeyVerifier:
    """Turn a presented key into an ``AuthenticatedKey`` or a refusal."""

    def __init__(
        self,
        lookup: KeyLookup,
        secret: VerifierSecret,
        on_verifier_written: Callable[[str], None] | None = None,
        on_bcrypt: Callable[[], None] | None = None,
    ) -> None:
        self.lookup = lookup
        self.secret = secret
        self.unknown = UnknownKeyIds()
        self.on_verifier_written = on_verifier_written
        self.on_bcrypt = on_bcrypt

    def key_id_of(self, presented: str) -> str:
        """The key id of a well-formed key; ``KeyRejected("malformed")`` for anything else."""
        parsed = parse_key(presented) if len(presented) == KEY_LENGTH else None
        if parsed is None:
            raise KeyRejected("malformed")
        return parsed.key_id

    def find(self, key_id: str) -> KeyRecord:
        """The key id's record; ``KeyRejected("unknown")`` when there is none."""
        if key_id in self.unknown:
            raise KeyRejected("unknown")
        record = self.lookup.find(key_id)
        if record is None:  # never made here, or its row deleted by hand
            self.unknown.add(key_id)
            raise KeyRejected("unknown")
        return record

    def verify(self, presented: str, may_check_hash: Callable[[str], bool]) -> AuthenticatedKey:
        """Verify ``presented`` from its row, read now; see ``verify_record``."""
        return self.verify_record(presented, self.find(self.key_id_of(presented)), may_check_hash)

    def verify_record(
        self, presented: str, record: KeyRecord, may_check_hash: Callable[[str], bool]
    ) -> AuthenticatedKey:
        """Verify ``presented`` against its key id's ``record``.

        ``may_check_hash(key_id)`` is asked (and charges the check) before any bcrypt
        call. Raises ``KeyRejected``
        for a key that does not authenticate and ``KeyCheckRefused`` when bcrypt would be
        needed but ``may_check_hash`` says no.
        """
        if record.revoked:
            raise KeyRejected("revoked", record.id, record.key_id)
        if not record.user_active:
            raise KeyRejected("inactive_user", record.id, record.key_id)
        verdict = self.secret.judge(presented, record.verifier)
        if verdict is Verdict.MISMATCH:
            raise KeyRejected("wrong_secret", record.id, record.key_id)
        expired = record.expires_at is not None and record.expires_at <= utcnow()
        if verdict is Verdict.UNKNOWN:
            if expired:
                # Not worth a bcrypt check to learn whether it was the genuine key; so it
                # gets the answer everyone gets.
                raise KeyRejected("expired_unverified", record.id, record.key_id)
            self._check_hash(presented, record, may_check_hash)
        if expired:
            raise KeyRejected("expired", record.id, record.key_id)
        return AuthenticatedKey(
            record.id, record.key_id, record.name, record.user_id, record.email, record.role,
            record.access,
        )  # fmt: skip

    def _check_hash(
        self, presented: str, record: KeyRecord, may_check_hash: Callable[[str], bool]
    ) -> None:
        if not may_check_hash(record.key_id):
            raise KeyCheckRefused(record.id, record.key_id)
        if self.on_bcrypt is not None:
            self.on_bcrypt()
        if not check_secret(presented.encode("ascii"), record.key_hash):
            raise KeyRejected("wrong_secret", record.id, record.key_id, counted=True)
        # From now on every process verifies this key with an HMAC.
        self.lookup.set_verifier(record.id, self.secret.make(presented))
        if self.on_verifier_written is not None:
            self.on_verifier_written(record.key_id)
