"""Verifying a presented key: cheap checks first, bcrypt at most once per key per fleet.

In order: shape and checksum (no database, no bcrypt); the key's record (app/keys/record.py);
revoked key or inactive owner, refused without a look at the secret; the HMAC verifier
(app/keys/hmac_verifier.py), under the current secret or a fallback (then rewritten under
the current one); bcrypt only for a key with no verifier under a known secret, once; then
expiry, the disabled flag and the allowed networks, so only the genuine key learns that it
expired, is disabled, or may not be used from where it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.hashing import check_secret
from app.keys.allowed_networks import is_allowed
from app.keys.format import KEY_LENGTH, parse_key
from app.keys.hmac_verifier import Verdict, VerifierSecret
from app.keys.lookup import KeyLookup, StoreUnavailable
from app.keys.record import KeyRecord
from app.keys.unknown import UnknownKeyIds
from app.models.columns import utcnow

log = logging.getLogger(__name__)

# Asked before a bcrypt check with the key id and the address of the key's last recorded
# use (or None): it charges the check to the failed-check budgets and says whether it may run.
CheckBudget = Callable[[str, str | None], bool]


class KeyRejected(Exception):
    """The presented key does not authenticate.

    ``reason`` (malformed, unknown, revoked, inactive_user, wrong_secret, expired,
    disabled) is for logs, metrics and tests. Every client gets the same "API key not
    found", but for ``expired`` and ``disabled``: only the genuine key learns them.
    ``key_pk`` names the key's row when the key id exists, so its owner sees the refusal;
    ``key_id`` is the presented key's id whenever the key was well-formed (None only for
    ``malformed``).
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


class AddressNotAllowed(Exception):
    """The genuine key, from an address outside its allowed networks."""

    def __init__(self, record: KeyRecord, address: str) -> None:
        super().__init__(address)
        self.record = record
        self.address = address


class KeyCheckRefused(Exception):
    """A bcrypt check was needed but the budget for failed checks is spent."""

    def __init__(self, key_pk: int, key_id: str) -> None:
        super().__init__(key_id)
        self.key_pk = key_pk
        self.key_id = key_id


class KeyVerifier:
    """Turn a presented key into its verified ``KeyRecord``, or a refusal."""

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
            raise KeyRejected("unknown", key_id=key_id)
        record = self.lookup.find(key_id)
        if record is None:  # never made here, or its row deleted by hand
            self.unknown.add(key_id)
            raise KeyRejected("unknown", key_id=key_id)
        return record

    def verify(
        self, presented: str, may_check_hash: CheckBudget, *, address: str | None = None
    ) -> KeyRecord:
        """Verify ``presented`` from its row, read now; see ``verify_record``."""
        record = self.find(self.key_id_of(presented))
        return self.verify_record(presented, record, may_check_hash, address=address)

    def verify_record(
        self,
        presented: str,
        record: KeyRecord,
        may_check_hash: CheckBudget,
        *,
        address: str | None = None,
    ) -> KeyRecord:
        """Verify ``presented`` against its key id's ``record``; return the record.

        ``may_check_hash(key_id, last_address)`` is asked (and charges the check) before any
        bcrypt call. ``address``: the client's, checked against the key's allowed networks
        (None: not checked).
        Raises ``KeyRejected`` for a key that does not authenticate, ``KeyCheckRefused``
        when bcrypt would be needed but ``may_check_hash`` says no, and
        ``AddressNotAllowed`` for the genuine key from outside its allowed networks.
        """
        if record.revoked_at is not None:
            raise KeyRejected("revoked", record.key_pk, record.key_id)
        if not record.user_active:
            raise KeyRejected("inactive_user", record.key_pk, record.key_id)
        verdict = self.secret.judge(presented, record.verifier)
        if verdict is Verdict.MISMATCH:
            raise KeyRejected("wrong_secret", record.key_pk, record.key_id)
        expired = record.expires_at is not None and record.expires_at <= utcnow()
        if verdict is Verdict.UNKNOWN:
            if expired:
                # Not worth a bcrypt check to learn whether it was the genuine key; so it
                # gets the answer everyone gets.
                raise KeyRejected("expired_unverified", record.key_pk, record.key_id)
            self._check_hash(presented, record, may_check_hash)
        elif verdict is Verdict.RENEW and not expired:
            self.renew(record, presented)
        if expired:
            raise KeyRejected("expired", record.key_pk, record.key_id)
        if record.disabled_at is not None:
            raise KeyRejected("disabled", record.key_pk, record.key_id)
        if address is not None and not is_allowed(record.allowed_networks, address):
            raise AddressNotAllowed(record, address)
        return record

    def renew(self, record: KeyRecord, presented: str) -> None:
        """Rewrite a verified key's verifier, made under a fallback, under the current secret.

        No bcrypt: the fallback's HMAC proved the key. A failed write is no reason to refuse
        the genuine key; its next request tries again.
        """
        self.store_verifier(record, self.secret.make(presented))

    def store_verifier(self, record: KeyRecord, verifier: str) -> None:
        """Store ``verifier``, made under the current secret, for a key it proved; see ``renew``."""
        try:
            self.lookup.set_verifier(record.key_pk, verifier)
        except StoreUnavailable as error:
            log.warning("could not rewrite the verifier of key %s: %s", record.key_id, error)
            return
        if self.on_verifier_written is not None:
            self.on_verifier_written(record.key_id)

    def _check_hash(self, presented: str, record: KeyRecord, may_check_hash: CheckBudget) -> None:
        facts = self.lookup.hash_and_last_address(record.key_pk)
        if facts is None:  # its row deleted since it was read
            raise KeyRejected("unknown", record.key_pk, record.key_id)
        key_hash, last_address = facts
        if not may_check_hash(record.key_id, last_address):
            raise KeyCheckRefused(record.key_pk, record.key_id)
        if self.on_bcrypt is not None:
            self.on_bcrypt()
        if not check_secret(presented.encode("ascii"), key_hash):
            raise KeyRejected("wrong_secret", record.key_pk, record.key_id, counted=True)
        # From now on every process verifies this key with an HMAC.
        self.lookup.set_verifier(record.key_pk, self.secret.make(presented))
        if self.on_verifier_written is not None:
            self.on_verifier_written(record.key_id)
