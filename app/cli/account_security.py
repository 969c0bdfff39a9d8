"""``flask users set-password`` and ``flask users reset-two-factor``: an operator's help.

``set-password`` reads the new password as one line from standard input (so a script can
pipe it in, and it never shows in the process list or the shell history), or prompts for
it, hidden and twice, on a terminal.
"""

from __future__ import annotations

import sys

import click

from app import accounts
from app.accounts.password_changes import set_password
from app.accounts.two_factor import turn_off
from app.audit import Actor
from app.cli import existing_user, refused, rounds
from app.cli.users import users_cli


def _read_password() -> str:
    stdin = sys.stdin
    if stdin.isatty():
        return click.prompt("New password", hide_input=True, confirmation_prompt=True)
    line = stdin.readline()
    if not line:
        raise click.ClickException("No password on standard input (one line expected).")
    return line.rstrip("\r\n")


@users_cli.command("set-password")
@click.argument("email")
def set_password_command(email: str) -> None:
    """Set a user's password (one line from stdin, or a prompt); their sessions end."""
    user = existing_user(email)
    password = _read_password()
    try:
        ended = set_password(user, password, rounds=rounds(), actor=Actor.system())
    except accounts.AccountRefused as error:
        raise refused(error) from None
    click.echo(f"Password of {user.email} set; {ended} session(s) signed out.")


@users_cli.command("reset-two-factor")
@click.argument("email")
def reset_two_factor(email: str) -> None:
    """Turn a user's second factor off (they lost their device and their recovery codes)."""
    user = existing_user(email)
    if turn_off(user, Actor.system()):
        click.echo(f"Second factor of {user.email} is off; they sign in with their password.")
    else:
        click.echo(f"{user.email} had no second factor; nothing changed.")
