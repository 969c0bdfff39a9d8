"""The app with one hand-written piece swapped for what the library does, for ``make bench``.

The project keeps code that replaces a library's behaviour for speed only where it buys at
least 3% on a goal, measured in one run against the library's version. This module serves
the app with ``CHAMELEON_BENCH_LIBRARY`` naming the piece to put back to the library:

- ``read``: the key's row (and, on SQLite, ``PRAGMA data_version``) read through
  SQLAlchemy (a pooled connection, Core ``execute``) instead of a raw cursor held by each
  thread (app/keys/lookup.py), keeping records just the same;
- ``windows``: the budgets of ``memory://`` counted in limits' ``MemoryStorage`` with its
  moving-window strategy instead of ``MovingWindows`` (app/ratelimit/windows.py);
- ``kept``: on SQLite, the key's row read on every request instead of kept while
  ``data_version`` says nothing changed (app/keys/lookup.py).

Never used by the app itself; gunicorn loads it by name in bench/servers.py.
"""

from __future__ import annotations

import os

PIECE = os.environ.get("CHAMELEON_BENCH_LIBRARY", "")


def _library_read(app) -> None:
    from sqlalchemy import create_engine, text

    from app.extensions import db
    from app.keys.lookup import _FIND, KeptRecords, KeyLookup, record_of

    with app.app_context():
        engine = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    data_version = text("PRAGMA data_version")

    def find(self, key_id):
        with engine.connect() as connection:
            kept = None
            if self.keeps_records:
                # data_version compares only on one connection: keep records per connection.
                records = connection.info.setdefault("kept", KeptRecords())
                kept = records.at(connection.execute(data_version).scalar())
                if key_id in kept:
                    return kept[key_id]
            row = connection.execute(_FIND, {"key_id": key_id}).first()
        if row is None:
            return None
        record = record_of(row)
        if kept is not None:
            kept[key_id] = record
        return record

    KeyLookup.find = find


from app import create_app  # noqa: E402

app = create_app()

if PIECE == "read":
    _library_read(app)
if PIECE == "windows":
    app.extensions["limit_counter"].windows = None
if PIECE == "kept":
    app.extensions["api_gate"].verifier.lookup.keeps_records = False
