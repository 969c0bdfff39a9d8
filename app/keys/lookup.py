"""The one database read every API request makes, kept lean on purpose.

The row of the presented key id, joined to its owner, is read on every request so that a
revocation, a deactivation or a role change is never stale, in any worker or on any host.
This read is the hot path, so it skips the ORM: the SQL is compiled once from a Core
``select`` (so it is right for SQLite and PostgreSQL alike) and run by the driver directly
(app/keys/reads.py: a plain DBAPI cursor, or libpq's prepared statement with psycopg),
about a third of the cost of executing the ``select`` through SQLAlchemy. Each thread keeps
one autocommit connection for good, with what the read needs on it, instead of checking a
connection out of a pool per request; the rare ``last_used_at`` write goes through the same
connection.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, bindparam, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.keys.reads import postgres_bool, reader_for
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
# _FIND's columns from text (for a driver that hands over text; see app/keys/reads.py).
_FIND_COLUMNS = (int, str, str, str, postgres_bool, int, str, str, postgres_bool)


class KeyLookup:
    """Find a key's record by key id, and record that a key was used."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()
        self._read = reader_for(engine, _FIND, _FIND_COLUMNS)
        self._dbapi_error = engine.dialect.loaded_dbapi.Error

    def _held(self) -> tuple[int, Connection, Any]:
        """The calling thread's (pid, connection, what the reader runs on), opened on first use."""
        held = getattr(self._local, "held", None)
        if held is not None:
            if held[0] == os.getpid():
                return held
            _inherited.append(held[1])
        connection = self.engine.connect()
        try:
            handle = self._read.open(connection.connection.dbapi_connection)
            held = (os.getpid(), connection, handle)
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
        try:
            row = self._read.run(self._held()[2], key_id)
        except (SQLAlchemyError, self._dbapi_error) as error:
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
            connection = self._connection()
            connection.execute(statement)
            connection.commit()  # ends SQLAlchemy's bookkeeping; autocommit already wrote it
        except SQLAlchemyError as error:
            self._discard()
            raise StoreUnavailable(str(error)) from error
