"""``flask notices send``: mail the notices that are due (keys expiring within 7 days)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.notices.expiry import EXPIRY_NOTICE_DAYS, send_expiry_notices

notices_cli = AppGroup("notices", help="Mail the notices that are due.")


@notices_cli.command("send")
def send() -> None:
    """Mail each reminder of a key expiring soon, once; safe to run often, on several hosts."""
    if not current_app.config["PUBLIC_URL"]:
        raise click.ClickException(
            "PUBLIC_URL is not set: the mail's links need the console's address, "
            "such as FLASK_PUBLIC_URL=https://keys.example.com."
        )
    sent = send_expiry_notices()
    click.echo(f"Sent {sent} reminder(s) of keys expiring within {EXPIRY_NOTICE_DAYS} days.")
