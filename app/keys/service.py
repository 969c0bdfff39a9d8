"""Create, list and revoke keys: the operations behind the console, the API and the CLI."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from app.database import write_transaction
from app.extensions import db
from app.hashing import hash_secret
from app.keys import signals, verifier_secret
from app.keys.format import generate_key, is_key_id
from app.models import ApiKey, User
from app.models.columns import utcnow

MAX_NAME_LENGTH = 100


class KeyRefused(ValueError):
    """Base for refusals a user can fix; ``str()`` is the message to show them."""


class InvalidKeyName(KeyRefused):
    """The name is blank, too long or holds control characters."""


class TooManyKeys(KeyRefused):
    """The user already has ``MAX_ACTIVE_KEYS_PER_USER`` active keys."""


def clean_key_name(name: str | None) -> str:
    """Return ``name`` trimmed, or raise ``InvalidKeyName`` saying what is wrong."""
    name = (name or "").strip()
    if not name:
        raise InvalidKeyName("Give the key a name, such as the app that will use it.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidKeyName(f"Key names are at most {MAX_NAME_LENGTH} characters.")
    if any(unicodedata.category(char).startswith("C") for char in name):
        raise InvalidKeyName("Key names cannot contain control characters.")
    return name


def create_key(user: User, name: str | None, *, rounds: int, max_active: int) -> tuple[ApiKey, str]:
    """Create a key for ``user``; return the row and the full key, which is never stored.

    Raises ``InvalidKeyName`` or ``TooManyKeys``.
    """
    name = clean_key_name(name)
    user_id = user.id
    new_key = generate_key()
    # Hash before the write transaction starts: a quarter second of bcrypt must not hold
    # SQLite's write lock.
    key_hash = hash_secret(new_key.value.encode("ascii"), rounds)
    with write_transaction() as session:
        # Counted inside the write transaction, with the owner's row locked (PostgreSQL;
        # SQLite's write transaction is alone already), so two creates cannot both slip
        # under the cap.
        session.execute(select(User.id).where(User.id == user_id).with_for_update())
        if active_key_count(user_id) >= max_active:
            raise TooManyKeys(
                f"You already have {max_active} active keys. Revoke one you no longer use first."
            )
        row = ApiKey(
            key_id=new_key.key_id,
            user_id=user_id,
            name=name,
            key_hash=key_hash,
            # The key is in hand: its very first request needs no bcrypt anywhere.
            verifier=verifier_secret().make(new_key.value),
            prefix=new_key.prefix,
        )
        session.add(row)
    return row, new_key.value


def active_key_count(user_id: int) -> int:
    """How many keys of the user are not revoked."""
    query = select(func.count(ApiKey.id)).where(
        ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None)
    )
    return db.session.scalar(query) or 0


def list_keys(user_id: int | None = None, *, with_owner: bool = False) -> Sequence[ApiKey]:
    """The user's keys (every key when ``user_id`` is None), newest first."""
    query = select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
    if user_id is not None:
        query = query.where(ApiKey.user_id == user_id)
    if with_owner:
        query = query.options(joinedload(ApiKey.user))
    return db.session.scalars(query).all()


def get_key(key_id: str, *, owner_id: int | None) -> ApiKey | None:
    """The key with this key id, if it belongs to ``owner_id`` (any owner when None)."""
    if not is_key_id(key_id):
        return None
    query = select(ApiKey).where(ApiKey.key_id == key_id)
    if owner_id is not None:
        query = query.where(ApiKey.user_id == owner_id)
    return db.session.scalar(query)


def revoke_key(key_id: str, *, owner_id: int | None) -> ApiKey | None:
    """Revoke a key for good; return it, or None when the owner has no such key.

    One owner-scoped UPDATE: someone else's key id changes nothing. Revoking a revoked key
    keeps its first revocation time.
    """
    if not is_key_id(key_id):
        return None
    statement = (
        update(ApiKey)
        .where(ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if owner_id is not None:
        statement = statement.where(ApiKey.user_id == owner_id)
    with write_transaction() as session:
        revoked = session.execute(statement).rowcount
    if revoked:
        signals.send_key_changed(key_id)
    return get_key(key_id, owner_id=owner_id)
