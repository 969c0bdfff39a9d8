"""``flask users``, ``flask keys`` and ``flask audit``: the command line, one group a module.

Bad input exits non-zero with one line on stderr (``click.ClickException``).
"""

from __future__ import annotations

import click
from flask import Flask, current_app

from app import accounts


def init_app(app: Flask) -> None:
    """Add the command groups to ``flask``."""
    from app.cli.audit import audit_cli
    from app.cli.config import config_cli
    from app.cli.keys import keys_cli
    from app.cli.users import users_cli
    from app.cli.version import version

    for group in (users_cli, keys_cli, audit_cli, config_cli, version):
        app.cli.add_command(group)


def rounds() -> int:
    """The bcrypt cost for new keys and passwords."""
    return current_app.config["BCRYPT_ROUNDS"]


def refused(error: Exception) -> click.ClickException:
    """A refusal as the one clear line on stderr that the CLI exits with."""
    return click.ClickException(str(error))


def existing_user(email: str):
    """The user with this email, or the CLI's one-line refusal."""
    try:
        return accounts.require_user(email)
    except accounts.AccountRefused as error:
        raise refused(error) from None
