"""The key's row, read for verification, and the rare writes that go with a key's use.

The row of the presented key id, joined to its owner, is what decides a request: its
verifier, whether it is revoked, its owner's role and active flag. It is read through an
autocommit engine of its own (app/database.py), so a read opens no transaction.

The read is the one database statement of a request on SQLite, so it is run lean: the
statement is compiled once from the Core ``select`` below (so it is right for every
database) and run on a DBAPI cursor that each thread keeps with its connection, instead of
checking a connection out of a pool and executing through SQLAlchemy per request. The rare
writes go through SQLAlchemy, on the same connection.

On SQLite each thread also keeps the records it has read, for as long as SQLite's
``PRAGMA data_version`` says that no other connection (another thread or process, a
``flask`` command) has committed anything since. A revocation or a role change commits, so
the very next request reads the row again. This connection's own writes do not move that
number, so ``set_verifier`` drops what the thread kept; ``touch`` writes only what a
``KeyRecord`` does not hold (when and from where a key was last used).
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, bindparam, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.models import ApiKey, User

MAX_KEPT = 10_000  # records a thread keeps on SQLite; then it starts over


class StoreUnavailable(Exception):
    """The database could not be asked; no key may pass on a guess."""


class KeyRecord(NamedTuple):
    """What verification needs to know about a key id: its row and its owner's."""

    id: int
    key_id: str
    name: str
    key_hash: str
    verifier: str | None
    revoked: bool
    expires_at: datetime | None
    access: str
    user_id: int
    email: str
    role: str
    user_active: bool


class KeptRecords:
    """The records one SQLite connection read, valid while its ``data_version`` stays put."""

    __slots__ = ("records", "version")

    def __init__(self) -> None:
        self.version: int | None = None
        self.records: dict[str, KeyRecord] = {}

    def at(self, version: int) -> dict[str, KeyRecord]:
        """The records, emptied first when another connection has committed since."""
        if version != self.version:
            self.records.clear()
            self.version = version
        elif len(self.records) >= MAX_KEPT:
            self.records.clear()  # a bound, not an LRU: the next requests read their rows
        return self.records


class Held(NamedTuple):
    """A thread's own connection, its DBAPI cursor, and the records it keeps."""

    pid: int
    connection: Connection
    cursor: Any
    kept: KeptRecords


_FIND = (
    select(
        ApiKey.id,
        ApiKey.key_id,
        ApiKey.name,
        ApiKey.key_hash,
        ApiKey.verifier,
        ApiKey.revoked_at.is_not(None),
        ApiKey.expires_at,
        ApiKey.access,
        User.id,
        User.email,
        User.role,
        User.active,
    )
    .join(User, User.id == ApiKey.user_id)
    .where(ApiKey.key_id == bindparam("key_id"))
)


class KeyLookup:
    """Find a key's record by key id; record a key's verifier and its use."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sql = str(_FIND.compile(dialect=engine.dialect))
        self._positional = engine.dialect.positional
        self._local = threading.local()
        self._dbapi_error = engine.dialect.loaded_dbapi.Error
        # Connections a forked child inherited: kept referenced, never used or closed.
        self._inherited: list[Connection] = []
        self.keeps_records = engine.dialect.name == "sqlite"

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
            held = self._held()
            cursor = held.cursor
            kept = None
            if self.keeps_records:
                # make bench: +3.8% req/s on GET /api/me against reading it each time (L3 vs 2).
                cursor.execute("PRAGMA data_version")
                kept = held.kept.at(cursor.fetchall()[0][0])
                if key_id in kept:
                    return kept[key_id]
            cursor.execute(self._sql, (key_id,) if self._positional else {"key_id": key_id})
            # fetchall, not fetchone: reading to the end resets SQLite's statement, so the
            # cursor holds no read snapshot between requests (which would stall the WAL).
            rows = cursor.fetchall()
        except (SQLAlchemyError, self._dbapi_error) as error:
            self._discard()
            raise StoreUnavailable(str(error)) from error
        if not rows:
            return None
        record = record_of(rows[0])
        if kept is not None:
            kept[key_id] = record
        return record

    def _held(self) -> Held:
        """The calling thread's connection and cursor, kept (opened on first use)."""
        # make bench: +27.0% req/s on GET /api/me against SQLAlchemy's pool (L1 vs 2).
        held = getattr(self._local, "held", None)
        if held is not None:
            if held.pid == os.getpid():
                return held
            self._inherited.append(held.connection)
        connection = self.engine.connect()
        try:
            cursor = connection.connection.dbapi_connection.cursor()
        except BaseException:
            connection.close()
            raise
        self._local.held = held = Held(os.getpid(), connection, cursor, KeptRecords())
        return held

    def _discard(self) -> None:
        """Drop this thread's connection (after an error: the next one is fresh)."""
        held = self._local.__dict__.pop("held", None)
        if held is not None and held.pid == os.getpid():
            held.connection.invalidate()
            held.connection.close()

    def set_verifier(self, key_pk: int, verifier: str) -> None:
        """Store the key's verifier (after a successful bcrypt check)."""
        statement = update(ApiKey).where(ApiKey.id == key_pk).values(verifier=verifier)
        self._run(lambda connection: connection.execute(statement))
        # This connection's own write leaves its data_version as it was.
        self._held().kept.records.clear()

    def touch(
        self, key_pk: int, now: datetime, interval: timedelta, ip: str, user_agent: str
    ) -> None:
        """Record a use (when, from where, by what) unless one was within ``interval``."""
        statement = (
            update(ApiKey)
            .where(ApiKey.id == key_pk)
            .where(or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - interval))
            .values(last_used_at=now, last_used_ip=ip[:45], last_used_user_agent=user_agent[:200])
        )
        self._run(lambda connection: connection.execute(statement))

    def _run(self, work):
        try:
            connection = self._held().connection
            result = work(connection)
            connection.commit()  # ends SQLAlchemy's bookkeeping; autocommit already wrote
        except (SQLAlchemyError, self._dbapi_error) as error:
            self._discard()
            raise StoreUnavailable(str(error)) from error
        return result


def record_of(row: Any) -> KeyRecord:
    """A ``KeyRecord`` from a row of ``_FIND``."""
    pk, key_id, name, key_hash, verifier, revoked, expires, access, *owner = row
    user_id, email, role, active = owner
    return KeyRecord(
        pk, key_id, name, key_hash, verifier, bool(revoked), _utc(expires), access,
        user_id, email, role, bool(active),
    )  # fmt: skip


def _utc(value: datetime | str | None) -> datetime | None:
    """A timestamp column as the driver hands it over (SQLite: text), as an aware UTC time."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)
