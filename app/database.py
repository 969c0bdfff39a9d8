"""Engines that behave under gunicorn: SQLite done right, and no connection shared by a fork.

SQLite on one box: WAL (readers never wait for the writer), a busy timeout (a writer
waits its turn instead of failing), and write transactions that begin IMMEDIATE, so two
workers upgrading a read to a write cannot deadlock into "database is locked".
"""

from __future__ import annotations

import os
import weakref
from typing import Any

from flask import Flask
from sqlalchemy import Engine, create_engine, event

from app.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 10_000

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def _dispose_after_fork() -> None:
    # A connection opened before a fork (gunicorn's preload_app) must never be used by two
    # processes; close=False leaves the parent's connections alone for the parent.
    for engine in list(_engines):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_dispose_after_fork)


def _configure_sqlite(engine: Engine, *, begin_immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module, which would BEGIN lazily and
        # DEFERRED; SQLAlchemy's "begin" event below says BEGIN IMMEDIATE instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    if begin_immediate:

        @event.listens_for(engine, "begin")
        def on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def configure_engine(engine: Engine, *, begin_immediate: bool = True) -> Engine:
    """Apply the SQLite rules (when it is SQLite) and the fork rule to ``engine``.

    ``begin_immediate=False`` is for an autocommit engine, whose statements are each their
    own transaction.
    """
    if engine.dialect.name == "sqlite":
        if engine.url.database in (None, "", ":memory:"):
            raise ValueError(
                "An in-memory SQLite database cannot be shared by requests or workers; "
                "use a file (the default) or PostgreSQL."
            )
        _configure_sqlite(engine, begin_immediate=begin_immediate)
    _engines.add(engine)
    return engine


def autocommit_engine(app: Flask) -> Engine:
    """A small engine of its own for the per-request key read and ``last_used_at`` writes."""
    with app.app_context():
        url = db.engine.url
    # Autocommit: a read opens no transaction, so returning a connection needs no ROLLBACK.
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None}
    if url.get_backend_name() == "postgresql":
        connect_args = app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})
        options |= {"pool_size": 2, "max_overflow": 8, "connect_args": connect_args}
    return configure_engine(create_engine(url, **options), begin_immediate=False)


def init_app(app: Flask) -> None:
    """Configure the Flask-SQLAlchemy engines created by ``db.init_app``."""
    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine)
