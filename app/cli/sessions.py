"""``flask sessions prune``: delete the console sessions that ended long ago."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.auth import session_limits
from app.auth.sessions import KEEP_DAYS, prune_old

sessions_cli = AppGroup("sessions", help="Keep the table of console sessions small.")


@sessions_cli.command(
    "prune", help=f"Delete the sessions over for more than {KEEP_DAYS} days, in short batches."
)
def prune() -> None:
    """Delete the sessions over for more than ``KEEP_DAYS``; safe to run often, anywhere."""
    _, lifetime = session_limits()
    deleted = prune_old(lifetime)
    click.echo(f"Deleted {deleted} session(s) over for more than {KEEP_DAYS} days.")
