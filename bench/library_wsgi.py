"""The app with one hand-written piece swapped for what the library does, for ``make bench``.

The project keeps code that replaces a library's behaviour for speed only where it buys at
least 3% on a goal, measured in one run against the library's version. This module serves
the app with ``CHAMELEON_BENCH_LIBRARY`` naming the piece to put back to the library:

- ``read``: the key's row read through SQLAlchemy (a pooled connection, Core ``execute``)
  instead of a raw cursor held by each thread (app/keys/lookup.py);
- ``windows``: the budgets of ``memory://`` counted in limits' ``MemoryStorage`` with its
  moving-window strategy instead of ``MovingWindows`` (app/ratelimit/windows.py).

Never used by the app itself; gunicorn loads it by name in bench/servers.py.
"""

from __future__ import annotations

import os

PIECE = os.environ.get("CHAMELEON_BENCH_LIBRARY", "")


def _library_read(app) -> None:
    from sqlalchemy import create_engine

    from app.extensions import db
    from app.keys.lookup import KEY_READ, KeyLookup
    from app.keys.record import from_row

    with app.app_context():
        engine = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")

    def find(self, key_id):
        with engine.connect() as connection:
            row = connection.execute(KEY_READ, {"key_id": key_id}).first()
        return None if row is None else from_row(row)

    KeyLookup.find = find


from app import create_app  # noqa: E402

app = create_app()

if PIECE == "read":
    _library_read(app)
if PIECE == "windows":
    app.extensions["limit_counter"].windows = None
