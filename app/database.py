"""Engines that behave under gunicorn: SQLite done right, and no connection shared by a fork.

SQLite on one box: WAL (readers never wait for the writer), a busy timeout (a writer waits
its turn instead of failing), reads in plain deferred transactions that take no lock, and
writes in ``write_transaction()``, which begins IMMEDIATE: it takes the write lock up front
and waits for it there, instead of upgrading a read to a write half way and failing with
"database is locked" when another worker wrote in between. bcrypt never runs inside one.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from flask import Flask
from sqlalchemy import CursorResult, Engine, create_engine, event
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.dml import UpdateBase

from app.extensions import db
from app.instance import make_private_sqlite_file

# An execution option of our own: this transaction is going to write.
BEGIN_IMMEDIATE = "chameleon_begin_immediate"

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def _dispose_after_fork() -> None:
    # A connection opened before a fork (gunicorn's preload_app) must never be used by two
    # processes; close=False leaves the parent's connections alone for the parent.
    for engine in list(_engines):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_dispose_after_fork)


def _configure_sqlite(engine: Engine, *, autocommit: bool, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module (which would BEGIN lazily, on
        # its own terms); the "begin" event below decides DEFERRED or IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    if autocommit:
        return  # every statement is its own transaction: nothing to BEGIN

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(BEGIN_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def configure_engine(
    engine: Engine, *, autocommit: bool = False, lock_timeout: float = 3.0
) -> Engine:
    """Apply the SQLite rules (when it is SQLite) and the fork rule to ``engine``.

    A SQLite database file is created (or tightened) here with mode 0600, before the
    first connection would create it readable by everyone. ``lock_timeout`` (seconds) is
    how long SQLite waits for another writer's lock.
    """
    if engine.dialect.name == "sqlite":
        if engine.url.database in (None, "", ":memory:"):
            raise ValueError(
                "An in-memory SQLite database cannot be shared by requests or workers; "
                "use a file (the default) or PostgreSQL."
            )
        if not engine.url.query.get("uri"):  # a "file:..." URI is SQLite's to open
            make_private_sqlite_file(Path(engine.url.database))
        _configure_sqlite(engine, autocommit=autocommit, busy_timeout_ms=int(lock_timeout * 1000))
    _engines.add(engine)
    return engine


@contextmanager
def write_transaction() -> Iterator[Session]:
    """Run the block in a transaction that writes, and commit it (roll back on error).

    Whatever read transaction the request had open is ended first, so that on SQLite the
    new one can begin IMMEDIATE; on PostgreSQL this is an ordinary transaction.
    """
    session = db.session()
    session.commit()
    session.connection(execution_options={BEGIN_IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def rows_changed(statement: UpdateBase) -> int:
    """Run an UPDATE or DELETE in the session; how many rows it changed.

    The session answers such a statement with a ``CursorResult``, but is typed to return
    any ``Result``; SQLAlchemy casts the same way for its own bulk updates.
    """
    return cast("CursorResult[Any]", db.session.execute(statement)).rowcount


def autocommit_engine(app: Flask) -> Engine:
    """An engine for the per-request key read and the writes that go with a key's use.

    Autocommit (SQLAlchemy's isolation level): a read is one statement, with no BEGIN and
    COMMIT around it. No pool: each thread keeps one connection of its own for good
    (app/keys/lookup.py), so a pool would only cap the threads. Otherwise the same
    options as the app's own engine.
    """
    with app.app_context():
        url = db.engine.url
    options: dict[str, Any] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    options.pop("pool_pre_ping", None)  # a pool option; a failed read reconnects instead
    options.update(isolation_level="AUTOCOMMIT", poolclass=NullPool)
    lock_timeout = float(app.config["DATABASE_LOCK_TIMEOUT"])
    return configure_engine(
        create_engine(url, **options), autocommit=True, lock_timeout=lock_timeout
    )


def init_app(app: Flask) -> None:
    """Configure the Flask-SQLAlchemy engines created by ``db.init_app``."""
    lock_timeout = float(app.config["DATABASE_LOCK_TIMEOUT"])
    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine, lock_timeout=lock_timeout)
