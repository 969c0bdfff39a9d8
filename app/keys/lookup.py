"""The key's record read for verification, and the rare writes that go with a key's use.

``KEY_READ`` selects the columns of ``KeyRecord`` (app/keys/record.py) for one key id,
joined to its owner. It is compiled once and run on a DBAPI cursor each thread keeps with
its own autocommit connection (app/database.py): the one statement of a request on SQLite,
with no pool checkout and no transaction. The rare writes go through SQLAlchemy, on the
same connection.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, bindparam, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.keys.format import redact_keys
from app.keys.record import FIELDS, KeyRecord, from_row
from app.models import ApiKey, User

T = TypeVar("T")


class StoreUnavailable(Exception):
    """The database could not be asked; no key may pass on a guess."""


# The join is the one thing the declaration does not say: a key's owner is its user.
KEY_READ = (
    select(*(field.column for field in FIELDS))
    .join(User, User.id == ApiKey.user_id)
    .where(ApiKey.key_id == bindparam("key_id"))
)


class KeyLookup:
    """Find a key's record by key id; record a key's verifier and its use."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sql = str(KEY_READ.compile(dialect=engine.dialect))
        self._positional = engine.dialect.positional
        self._local = threading.local()
        self._dbapi_error = engine.dialect.loaded_dbapi.Error
        # Connections a forked child inherited: kept referenced, never used or closed.
        self._inherited: list[Connection] = []

    def connect(self) -> None:
        """Open the calling thread's connection now, not on its first request."""
        self._held()

    def close(self) -> None:
        """Close this thread's connection and the engine's (tests, an app thrown away)."""
        self._discard()
        self.engine.dispose()

    def find(self, key_id: str) -> KeyRecord | None:
        """The record for ``key_id``, or None when no key has that id."""
        try:
            cursor = self._cursor()
            cursor.execute(self._sql, (key_id,) if self._positional else {"key_id": key_id})
            # fetchall, not fetchone: reading to the end resets SQLite's statement, so the
            # cursor holds no read snapshot between requests (which would stall the WAL).
            rows = cursor.fetchall()
        except (SQLAlchemyError, self._dbapi_error) as error:
            self._discard()
            raise StoreUnavailable(str(error)) from error
        return from_row(rows[0]) if rows else None

    def _cursor(self) -> Any:
        """The calling thread's cursor, on a connection it keeps (opened on first use)."""
        # make bench, median of 3 runs, 2026-12-06 (last set): +20.4% GET /api/me over SQLAlchemy.
        return self._held()[2]

    def _held(self) -> tuple[int, Connection, Any]:
        held = getattr(self._local, "held", None)
        if held is not None:
            if held[0] == os.getpid():
                return held
            self._inherited.append(held[1])
        connection = self.engine.connect()
        try:
            cursor = connection.connection.cursor()
        except BaseException:
            connection.close()
            raise
        self._local.held = held = (os.getpid(), connection, cursor)
        return held

    def _discard(self) -> None:
        """Drop this thread's connection (after an error: the next one is fresh)."""
        held = self._local.__dict__.pop("held", None)
        if held is not None and held[0] == os.getpid():
            held[1].invalidate()
            held[1].close()

    def hash_and_last_address(self, key_pk: int) -> tuple[str, str | None] | None:
        """The key's bcrypt hash and the address of its last recorded use (None: no row).

        Only a key without a usable verifier needs them: the address is where its budget of
        bcrypt checks is its own (app/api/throttle.py).
        """
        statement = select(ApiKey.key_hash, ApiKey.last_used_ip).where(ApiKey.id == key_pk)
        row = self._run(lambda connection: connection.execute(statement).first())
        return None if row is None else (row[0], row[1])

    def set_verifier(self, key_pk: int, verifier: str) -> None:
        """Store the key's verifier (after a successful bcrypt check)."""
        statement = update(ApiKey).where(ApiKey.id == key_pk).values(verifier=verifier)
        self._run(lambda connection: connection.execute(statement))

    def touch(
        self, key_pk: int, now: datetime, interval: timedelta, ip: str, user_agent: str
    ) -> None:
        """Record a use (when, from where, by what) unless one was within ``interval``."""
        statement = (
            update(ApiKey)
            .where(ApiKey.id == key_pk)
            .where(or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - interval))
            .values(
                last_used_at=now,
                last_used_ip=ip[:45],
                # A client may send its key inside its user agent; it is not kept.
                last_used_user_agent=redact_keys(user_agent)[:200],
            )
        )
        self._run(lambda connection: connection.execute(statement))

    def _run(self, work: Callable[[Connection], T]) -> T:
        try:
            connection = self._held()[1]
            result = work(connection)
            connection.commit()  # ends SQLAlchemy's bookkeeping; autocommit already wrote
        except (SQLAlchemyError, self._dbapi_error) as error:
            self._discard()
            raise StoreUnavailable(str(error)) from error
        return result
