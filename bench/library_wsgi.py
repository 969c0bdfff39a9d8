"""The app with one hand-written piece swapped for what the library does, for ``make bench``.

The project keeps code that replaces a library's behaviour for speed only where it buys at
least 3% on a goal, measured in one run against the library's version. This module serves
the app with ``CHAMELEON_BENCH_LIBRARY`` naming the piece to put back to the library:

- ``read``: the key's row read through SQLAlchemy (a pooled connection, Core ``execute``)
  instead of a raw cursor held by each thread (app/keys/lookup.py);
- ``memory``: limits' own ``MemoryStorage`` (a Timer thread expires entries) instead of
  the swept one (app/ratelimit/memory.py);
- ``hit``: the budget's hit and window read as limits' two calls instead of one pass
  (app/ratelimit/counter.py);
- ``redis``: admit.lua through redis-py's client and pool (``Script``) instead of a
  connection held by each thread (app/api/gate/connection.py).

Never used by the app itself; gunicorn loads it by name in bench/servers.py.
"""

from __future__ import annotations

import os

PIECE = os.environ.get("CHAMELEON_BENCH_LIBRARY", "")


def _library_memory_storage() -> None:
    from limits._storage_scheme import SCHEMES
    from limits.storage import MemoryStorage

    SCHEMES["memory"] = MemoryStorage


def _library_hit() -> None:
    from app.ratelimit import counter

    def two_calls(strategy, method, item, identifiers):
        if method != "hit_and_window":
            return getattr(strategy, method)(item, *identifiers)
        return strategy.hit(item, *identifiers), strategy.get_window_stats(item, *identifiers)

    counter._run = two_calls


def _library_read(app) -> None:
    from sqlalchemy import create_engine

    from app.extensions import db
    from app.keys.lookup import _FIND, KeyLookup, KeyRecord, _utc

    with app.app_context():
        engine = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")

    def find(self, key_id):
        with engine.connect() as connection:
            row = connection.execute(_FIND, {"key_id": key_id}).first()
        if row is None:
            return None
        pk, key_id_, name, key_hash, verifier, revoked, expires, access, *owner = row
        user_id, email, role, active = owner
        return KeyRecord(
            pk, key_id_, name, key_hash, verifier, bool(revoked), _utc(expires), access,
            user_id, email, role, bool(active),
        )  # fmt: skip

    KeyLookup.find = find


def _library_redis(app) -> None:
    from app.api.gate.redis_gate import RedisGate

    gate = app.extensions["api_gate"]
    assert isinstance(gate, RedisGate), "the redis piece needs RATELIMIT_STORAGE_URI=redis://"
    scripts = {}

    def run_script(self, text, sha, keys, args):
        client = gate.counter.storage.get_connection()
        script = scripts.get(sha) or scripts.setdefault(sha, client.register_script(text))
        return script(keys=keys, args=args, client=client)

    from app.api.gate import connection

    connection.ThreadConnections.run_script = run_script


if PIECE == "memory":
    _library_memory_storage()
if PIECE == "hit":
    _library_hit()

from app import create_app  # noqa: E402  (after the swaps that must precede it)

app = create_app()

if PIECE == "read":
    _library_read(app)
if PIECE == "redis":
    _library_redis(app)
