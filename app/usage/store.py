"""Usage rows: adding a batch of counts, reading a key's last 30 days, pruning old days.

Old days go in batches of ``PRUNE_BATCH`` rows, each its own short transaction (an index on
``day`` finds them), so a sweep of a million rows never holds the write lock for long.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from app.database import rows_changed, write_transaction
from app.extensions import db
from app.models import KeyUsage

KEEP_DAYS = 90
SHOWN_DAYS = 30
PRUNE_BATCH = 5000


def add_counts(counts: dict[tuple[int, date], list[int]]) -> None:
    """Add ``counts`` ({(key row, day): [requests, refused]}) to the stored ones."""
    with write_transaction() as session:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for (key_pk, day), (requests, refused) in sorted(counts.items()):
            statement = insert(KeyUsage).values(
                api_key_id=key_pk, day=day, requests=requests, refused=refused
            )
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=[KeyUsage.api_key_id, KeyUsage.day],
                    set_={
                        "requests": KeyUsage.requests + statement.excluded.requests,
                        "refused": KeyUsage.refused + statement.excluded.refused,
                    },
                )
            )
    # Old days go as new ones come in, after the counts' own transaction.
    prune_old_days()


def prune_old_days(batch: int = PRUNE_BATCH) -> int:
    """Delete the days older than ``KEEP_DAYS``, ``batch`` rows a transaction; how many."""
    cutoff = _today() - timedelta(KEEP_DAYS)
    old = select(KeyUsage.api_key_id, KeyUsage.day).where(KeyUsage.day < cutoff).limit(batch)
    statement = delete(KeyUsage).where(tuple_(KeyUsage.api_key_id, KeyUsage.day).in_(old))
    deleted = 0
    while True:
        with write_transaction():
            gone = rows_changed(statement)
        deleted += gone
        if gone < batch:
            return deleted


def last_days(key_pk: int, days: int = SHOWN_DAYS) -> list[dict[str, object]]:
    """The key's requests and refusals for each of the last ``days`` UTC days, oldest first."""
    today = _today()
    first = today - timedelta(days - 1)
    rows = db.session.execute(
        select(KeyUsage.day, KeyUsage.requests, KeyUsage.refused).where(
            KeyUsage.api_key_id == key_pk, KeyUsage.day >= first
        )
    )
    stored = {day: (requests, refused) for day, requests, refused in rows}
    return [
        {
            "date": (first + timedelta(n)).isoformat(),
            "requests": stored.get(first + timedelta(n), (0, 0))[0],
            "refused": stored.get(first + timedelta(n), (0, 0))[1],
        }
        for n in range(days)
    ]


def _today() -> date:
    return datetime.now(UTC).date()
