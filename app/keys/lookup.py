"""The one database read every API request makes, kept lean on purpose.

The row of the presented key id, joined to its owner, is read on every request so that a
revocation, a deactivation or a role change is never stale, in any worker or on any host.
This read is the hot path, so it skips the ORM: the SQL is compiled once from a Core
``select`` (so it is right for SQLite and PostgreSQL alike) and run on a plain DBAPI
cursor, about a third of the cost of executing the ``select`` through SQLAlchemy. Each
thread keeps one autocommit connection and one cursor on it for good, instead of checking
a connection out of a pool and opening a cursor per request; the rare ``last_used_at``
write goes through the same connection.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, bindparam, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.models import ApiKey, User

# Connections a forked child inherited from its parent: kept referenced and never closed,
# so that the child cannot shut the parent's sockets.
_inherited: list[Connection] = []


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
        self._sql = str(_FIND.compile(dialect=engine.dialect))
        self._positional = engine.dialect.positional
        self._dbapi_error = engine.dialect.loaded_dbapi.Error

    def _held(self) -> tuple[int, Connection, Any]:
        """The calling thread's (pid, connection, DBAPI cursor), opened on first use."""
        held = getattr(self._local, "held", None)
        if held is not None:
            if held[0] == os.getpid():
                return held
            _inherited.append(held[1])
        connection = self.engine.connect()
        try:
            held = (os.getpid(), connection, connection.connection.cursor())
        except BaseException:
            connection.close()
            raise
        self._local.held = held
        return held

    def _connection(self) -> Connection:
        """The calling thread's connection, opened on first use."""
        return self._held()[1]

    def _discard(self) -> None:
        """Drop the calling thread's connection (after an error: the next one is fresh)."""
        held = self._local.__dict__.pop("held", None)
        if held is not None:
            held[1].invalidate()
            held[1].close()

    def close(self) -> None:
        """Close the calling thread's connection (tests, and an app being thrown away)."""
        self._discard()
        self.engine.dispose()

    def find(self, key_id: str) -> KeyRecord | None:
        """The record for ``key_id``, or None when no key has that id."""
        params = (key_id,) if self._positional else {"key_id": key_id}
        try:
            cursor = self._held()[2]
            cursor.execute(self._sql, params)
            # fetchall, not fetchone: reading to the end resets SQLite's statement, so the
            # cursor holds no read snapshot between requests (which would stall the WAL).
            rows = cursor.fetchall()
        except (SQLAlchemyError, self._dbapi_error) as error:
            self._discard()
            raise StoreUnavailable(str(error)) from error
        if not rows:
            return None
        key_pk, key_id_, name, key_hash, revoked, user_id, email, role, active = rows[0]
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
            connection = self._connection()
            connection.execute(statement)
            connection.commit()  # ends SQLAlchemy's bookkeeping; autocommit already wrote it
        except SQLAlchemyError as error:
            self._discard()
            raise StoreUnavailable(str(error)) from error
