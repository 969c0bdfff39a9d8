"""Admitting an API request: which key, whose, and within whose budget.

Two gates answer the same question. ``LocalGate`` reads the key's row from the database and
charges the owner's budget in the limiter storage: two steps, fine when the budget lives in
process memory (``memory://``, one box) and the fallback while Redis is away.
``RedisGate`` (PostgreSQL + Redis) answers in one Redis round trip: the key's record is
cached in Redis next to the budgets, checked and charged by one script, and every change
to a key or user writes a tombstone there first, so nothing is ever served stale. See
docs/architecture.md, "How a request is admitted".
"""

from __future__ import annotations

from typing import NamedTuple

from app.keys.verification import AuthenticatedKey


class Admission(NamedTuple):
    """A verified key: whether its owner's budget allowed the request, and its headers.

    ``touch`` says whether this request should record the key's use (at most once a minute
    per key).
    """

    key: AuthenticatedKey
    allowed: bool
    headers: dict[str, str]
    touch: bool
