"""Admitting an API request: which key, whose, and within whose budget.

``LocalGate`` (local.py) reads the key's record from the database on every request, then
charges its owner's budget. ``RedisGate`` (redis_gate.py, PostgreSQL + Redis) does both in
one Redis round trip, from records cached in Redis that every change to a key or a user
replaces before it commits (records.py). See docs/architecture.md, "How a request is
admitted".
"""

from __future__ import annotations

from typing import NamedTuple

from app.keys.record import KeyRecord


class Admission(NamedTuple):
    """A verified key, whether its owner's budget allowed the request, and the budget's headers.

    ``touch``: this request should record the key's use (at most once a minute per key).
    ``own_limit``: the key's own rate limit, when the headers describe it (not the owner's).
    ``renew``: the verifier to store for the key once the answer has gone (it was admitted
    under a fallback secret), or None.
    """

    key: KeyRecord
    allowed: bool
    headers: dict[str, str]
    touch: bool
    own_limit: str | None = None
    renew: str | None = None
