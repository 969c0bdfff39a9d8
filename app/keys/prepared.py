"""A new key prepared for storing: its value (shown once), hash, verifier and row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.hashing import hash_secret
from app.keys.access import KeyAccess
from app.keys.format import generate_key
from app.keys.hmac_verifier import VerifierSecret
from app.models import ApiKey


@dataclass(frozen=True)
class PreparedKey:
    """A fresh key: the value to show once, and what its row stores."""

    value: str
    key_id: str
    prefix: str
    key_hash: str
    verifier: str

    def row(
        self,
        user_id: int,
        name: str,
        expires_at: datetime | None,
        access: KeyAccess,
        created_at: datetime | None = None,
    ) -> ApiKey:
        """The key's row for ``user_id``, not yet added to any session."""
        row = ApiKey(
            key_id=self.key_id,
            user_id=user_id,
            name=name,
            key_hash=self.key_hash,
            verifier=self.verifier,
            prefix=self.prefix,
            expires_at=expires_at,
            access=access,
        )
        if created_at is not None:
            row.created_at = created_at
        return row


def prepare_key(rounds: int, verifier: VerifierSecret) -> PreparedKey:
    """Generate a key, with its bcrypt hash at cost ``rounds`` and its verifier.

    Called before any write transaction starts: bcrypt must not hold SQLite's write lock.
    The verifier is made now, while the key is in hand, so its first request needs no bcrypt.
    """
    new_key = generate_key()
    return PreparedKey(
        value=new_key.value,
        key_id=new_key.key_id,
        prefix=new_key.prefix,
        key_hash=hash_secret(new_key.value.encode("ascii"), rounds),
        verifier=verifier.make(new_key.value),
    )
