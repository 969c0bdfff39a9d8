"""The one database read every API request makes, kept lean on purpose.

The row of the presented key id, joined to its owner, is read on every request so that a
revocation, a deactivation or a role change is never stale, in any worker or on any host.
This read is the hot path, so it skips the ORM: the SQL is compiled once from a Core
``select`` (so it is right for SQLite and PostgreSQL alike) and run on a pooled DBAPI
cursor, about a third of the cost of executing the ``select`` through a SQLAlchemy
``Connection``. It uses an autocommit engine of its own (a read opens no transaction), and
each thread keeps its connection instead of checking one out of the pool per request.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Engine, bindparam, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.models import ApiKey, User

_inherited: list[tuple[int, Any]] = []


class StoreUnavailable(Exception):
    """The database could not be asked; no key may pass on a guess."""


class KeyRecord(NamedTuple):
    """What verification needs to know about a key id: its row and its owner's."""

    id: int
    key_id: str
    name: str
    key_hash: str
    revoked: bool
    user_id: int
    email: str
    role: str
    user_active: bool


_FIND = (
    select(
        ApiKey.id,
        ApiKey.key_id,
        ApiKey.name,
        ApiKey.key_hash,
        ApiKey.revoked_at.is_not(None),
        User.id,
        User.email,
        User.role,
        User.active,
    )
    .join(User, User.id == ApiKey.user_id)
    .where(ApiKey.key_id == bindparam("key_id"))
)


class KeyLookup:
    """Find a key's record by key id, and record that a key was used."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()
        compiled = _FIND.compile(dialect=engine.dialect)
        self._sql = str(compiled)
        self._positional = engine.dialect.positional
        self._dbapi_error = engine.dialect.loaded_dbapi.Error

    def _params(self, key_id: str) -> Any:
        return (key_id,) if self._positional else {"key_id": key_id}

    def _connection(self) -> Any:
        """The connection of the calling thread, opened on first use."""
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        if held is not None:
            # Inherited through a fork: it belongs to the parent. Keep it referenced, never
            # closed, so that its socket is not shut from under the parent.
            _inherited.append(held)
        connection = self.engine.raw_connection()
        self._local.held = (os.getpid(), connection)
        return connection

    def _discard(self) -> None:
        held = self._local.__dict__.pop("held", None)
        if held is not None:
            held[1].invalidate()

    def close(self) -> None:
        """Close this thread's connection (the app's own teardown, and tests)."""
        self._discard()
        self.engine.dispose()

    def find(self, key_id: str) -> KeyRecord | None:
        """The record for ``key_id``, or None when no key has that id."""
        try:
            cursor = self._connection().cursor()
            cursor.execute(self._sql, self._params(key_id))
            row = cursor.fetchone()
            cursor.close()
        except (SQLAlchemyError, self._dbapi_error) as error:
            # A broken connection is dropped, so the next request opens a fresh one.
            self._discard()
            raise StoreUnavailable(str(error)) from error
        if row is None:
            return None
        key_pk, key_id_, name, key_hash, revoked, user_id, email, role, active = row
        return KeyRecord(
            key_pk, key_id_, name, key_hash, bool(revoked), user_id, email, role, bool(active)
        )

    def touch(self, key_pk: int, now: datetime, interval: timedelta) -> None:
        """Set ``last_used_at`` to ``now`` unless another worker did so within ``interval``."""
        statement = (
            update(ApiKey)
            .where(ApiKey.id == key_pk)
            .where(or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - interval))
            .values(last_used_at=now)
        )
        try:
            with self.engine.connect() as connection:
                connection.execute(statement)
        except SQLAlchemyError as error:
            raise StoreUnavailable(str(error)) from error
