"""``flask audit ...``: check the audit log's hash chain, export it as JSON Lines.

Both read the log in batches (constant memory at any length) and show progress on stderr
when it is a terminal.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from app.audit.chain import verify
from app.audit.queries import all_events, count_events, to_dict
from app.cli.progress import with_progress

audit_cli = AppGroup("audit", help="Verify and export the audit log.")


@audit_cli.command("verify")
def verify_log() -> None:
    """Exit 0 when the chain is intact, else 1 naming the first event changed, removed or added."""
    events = with_progress(all_events(), count_events, "Verifying")
    broken = verify(events)
    if broken is not None:
        click.echo(f"Audit log broken at event {broken.id}: {broken.what}.", err=True)
        sys.exit(1)
    click.echo("Audit log intact.")


@audit_cli.command("export")
@click.option("--since", help="Only events at or after this ISO date or time (UTC).")
def export_log(since: str | None) -> None:
    """Write the audit log to stdout as JSON Lines, oldest first (with each event's hashes)."""
    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
            start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
        except (ValueError, OverflowError):
            raise click.ClickException(
                f"{since!r} is not an ISO date, such as 2026-11-30 or 2026-11-30T12:00:00."
            ) from None
    events = with_progress(all_events(since=start), lambda: count_events(start), "Exporting")
    for event in events:
        line = {**to_dict(event), "prev_hash": event.prev_hash, "hash": event.hash}
        click.echo(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
