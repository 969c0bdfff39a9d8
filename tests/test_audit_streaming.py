"""``audit verify`` and ``audit export`` hold one batch at a time, however long the log.

Not timed: tracemalloc's peak while each command reads a log of N events, then of 10 N,
must stay within a small bound; a command that kept what it read would grow tenfold.
"""

from __future__ import annotations

import os
import tracemalloc
from contextlib import redirect_stdout
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import insert

from app.audit.chain import GENESIS, event_hash
from app.cli.audit import export_log, verify_log
from app.extensions import db
from app.models import AuditEvent

BATCH = 100
SMALL, LARGE = 1_000, 10_000
# What one more batch's worth of slack may cost; a kept log of LARGE events is ~20 MB.
SLACK = 512 * 1024


def add_events(app, first: int, last: int, prev: str) -> str:
    """Events ``first`` to ``last`` of a valid chain after ``prev``; the last one's hash."""
    at = datetime(2026, 11, 1, tzinfo=UTC)
    rows = []
    for number in range(first, last + 1):
        event = SimpleNamespace(
            id=number, at=at, action="key.created", actor_user_id=None,
            actor_email="ada@example.com", ip="192.0.2.1", user_agent="Mozilla/5.0 " * 10,
            target=f"key:{number:012d}", subject_user_id=None, details='{"name":"a key"}',
        )  # fmt: skip
        digest = event_hash(event, prev)  # type: ignore[arg-type]
        rows.append({**vars(event), "prev_hash": prev, "hash": digest})
        prev = digest
    with app.app_context():
        db.session.execute(insert(AuditEvent), rows)
        db.session.commit()
    return prev


def peak(app, command, arguments: list[str]) -> int:
    """The peak traced by tracemalloc (bytes) while ``command`` runs, its output thrown away."""
    with app.app_context(), open(os.devnull, "w") as sink, redirect_stdout(sink):
        tracemalloc.start()
        try:
            command.main(arguments, standalone_mode=False)
        finally:
            _, most = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    return most


@pytest.mark.parametrize(
    ("command", "arguments"),
    [(verify_log, []), (export_log, [])],
    ids=["verify", "export"],
)
def test_the_audit_commands_hold_one_batch_at_a_time(app, monkeypatch, command, arguments):
    monkeypatch.setattr("app.audit.queries.EXPORT_BATCH", BATCH)
    last = add_events(app, 1, SMALL, GENESIS)
    peak(app, command, arguments)  # the first run compiles and caches the statements
    small = peak(app, command, arguments)
    add_events(app, SMALL + 1, LARGE, last)
    large = peak(app, command, arguments)
    assert large < small + SLACK, f"{small:,} bytes at {SMALL:,} events, {large:,} at {LARGE:,}"
