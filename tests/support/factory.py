"""Users and keys made for a test through the real domain code, outside any request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from flask import Flask

T = TypeVar("T")

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class UserInfo:
    """What a test needs to know about a user it made."""

    id: int
    email: str
    password: str
    role: str


class Factory:
    """Makes users and keys through the real domain code, outside any request."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._count = 0

    def user(
        self, email: str | None = None, role: str = "standard", password: str = PASSWORD
    ) -> UserInfo:
        """Create a user and return its id, email, password and role."""
        from app import accounts

        self._count += 1
        email = email or f"user{self._count}@example.com"
        with self.app.app_context():
            user = accounts.create_user(email, password, rounds=4, role=role)
            return UserInfo(user.id, user.email, password, user.role)

    def key(
        self,
        user: UserInfo,
        name: str = "Test key",
        *,
        expires_in: timedelta | None = None,
        access: str = "full",
        max_active: int = 100,
        **scope: object,
    ) -> tuple[str, str]:
        """Create a key for ``user``; return its key id and the full key.

        ``max_active`` is the cap on the user's active keys (MAX_ACTIVE_KEYS_PER_USER);
        ``scope``: ``KeyScope``'s fields (description, permissions, allowed_networks,
        rate_limit).
        """
        from app import accounts
        from app.keys import service, verifier_secret
        from app.keys.scope import KeyScope
        from app.models.columns import utcnow

        with self.app.app_context():
            owner = accounts.get_user(user.id)
            row, secret = service.create_key(
                owner,
                name,
                rounds=4,
                verifier=verifier_secret(self.app),
                max_active=max_active,
                expires_at=None if expires_in is None else utcnow() + expires_in,
                access=access,
                scope=KeyScope(**scope),  # type: ignore[arg-type]
            )
            return row.key_id, secret

    def app_call(self, function: Callable[..., T], *args: object, **kwargs: object) -> T:
        """``function(*args, **kwargs)`` in the app's context (a domain operation)."""
        with self.app.app_context():
            return function(*args, **kwargs)

    def expire(self, key_id: str) -> None:
        """Make a key's expiry a second ago, as if its time had come."""
        from sqlalchemy import update

        from app.extensions import db
        from app.models import ApiKey
        from app.models.columns import utcnow

        with self.app.app_context():
            db.session.execute(
                update(ApiKey)
                .where(ApiKey.key_id == key_id)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()

    def set_role(self, user: UserInfo, role: str) -> None:
        """Change a user's role, as an admin would."""
        from app import accounts

        with self.app.app_context():
            accounts.update_user(accounts.get_user(user.id), role=role)

    def deactivate(self, user: UserInfo) -> None:
        """Deactivate a user."""
        from app import accounts

        with self.app.app_context():
            accounts.update_user(accounts.get_user(user.id), active=False)

    def revoke(self, key_id: str) -> None:
        """Revoke a key, as its owner would in the console."""
        from app.keys import service

        with self.app.app_context():
            assert service.revoke_key(key_id, owner_id=None) is not None

    def delete_row(self, key_id: str) -> dict:
        """Delete a key's row outright, as an operator might by hand (the app never does).

        Returns the row's columns, for ``restore_row`` (a backup restored).
        """
        from sqlalchemy import delete, select

        from app.extensions import db
        from app.models import ApiKey

        with self.app.app_context():
            row = db.session.execute(select(ApiKey.__table__).where(ApiKey.key_id == key_id))
            backup = dict(row.one()._mapping)
            db.session.execute(delete(ApiKey).where(ApiKey.key_id == key_id))
            db.session.commit()
        return backup

    def restore_row(self, backup: dict) -> None:
        """Put a deleted key's row back, as restoring a backup would."""
        from sqlalchemy import insert

        from app.extensions import db
        from app.models import ApiKey

        with self.app.app_context():
            db.session.execute(insert(ApiKey.__table__).values(**backup))
            db.session.commit()

    def drop_verifier(self, key_id: str) -> None:
        """Remove a key's verifier, as for a key made before verifiers existed."""
        from sqlalchemy import update

        from app.extensions import db
        from app.models import ApiKey

        with self.app.app_context():
            db.session.execute(update(ApiKey).where(ApiKey.key_id == key_id).values(verifier=None))
            db.session.commit()

    def needs_bcrypt(
        self, key_id: str, state: str = "no verifier", last_used_from: str | None = None
    ) -> None:
        """Leave a key only bcrypt can verify, as one in use before its verifier was lost.

        ``state``: "no verifier" (a key made before verifiers existed), or anything else for
        a verifier made under a secret no longer known. ``last_used_from``: the address of
        its last use, an hour ago (None: never used).
        """
        from sqlalchemy import update

        from app.extensions import db
        from app.keys.hmac_verifier import VerifierSecret
        from app.models import ApiKey
        from app.models.columns import utcnow

        verifier = None
        if state != "no verifier":
            verifier = VerifierSecret("a verifier secret dropped since").make(f"ck_{key_id}")
        last_used_at = None if last_used_from is None else utcnow() - timedelta(hours=1)
        with self.app.app_context():
            db.session.execute(
                update(ApiKey)
                .where(ApiKey.key_id == key_id)
                .values(verifier=verifier, last_used_at=last_used_at, last_used_ip=last_used_from)
            )
            db.session.commit()
