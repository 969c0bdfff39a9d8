"""``flask users ...`` and ``flask keys ...``: manage users and keys from the shell.

Bad input exits non-zero with one line on stderr (``click.ClickException``).
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app import accounts
from app.keys import service

users_cli = AppGroup("users", help="Create users, change roles, deactivate.")
keys_cli = AppGroup("keys", help="Create, list and revoke API keys.")


def _rounds() -> int:
    return current_app.config["BCRYPT_ROUNDS"]


def _user(email: str):
    try:
        return accounts.require_user(email)
    except accounts.AccountRefused as refused:
        raise click.ClickException(str(refused)) from None


@users_cli.command("create")
@click.argument("email")
@click.option("--role", default="standard", show_default=True, help="standard, premium or admin")
@click.option("--password", help="Prompted for (hidden, twice) when left out.")
def create_user(email: str, role: str, password: str | None) -> None:
    """Create a user."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email, password, rounds=_rounds(), role=role)
    except accounts.AccountRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Created {user.role} user {user.email} (id {user.id}).")


@users_cli.command("bootstrap")
@click.option("--email", default="admin@example.com", show_default=True)
def bootstrap(email: str) -> None:
    """Create the first admin with a random password, printed once, if there is no user."""
    created = accounts.create_first_admin(email, rounds=_rounds())
    if created is None:
        return
    user, password = created
    click.echo("")
    click.echo("  First admin created. This password is shown once; sign in and keep it safe:")
    click.echo(f"    email:    {user.email}")
    click.echo(f"    password: {password}")
    click.echo("")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role")
def set_role(email: str, role: str) -> None:
    """Change a user's role (standard, premium or admin)."""
    user = _user(email)
    try:
        accounts.update_user(user, role=role)
    except accounts.AccountRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"{user.email} is now {user.role}.")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """Deactivate a user: they cannot sign in and their keys stop working."""
    user = _user(email)
    try:
        accounts.update_user(user, active=False)
    except accounts.AccountRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"{user.email} is deactivated; their keys are refused from the next request.")


@users_cli.command("list")
def list_users() -> None:
    """List users with role, status and active key count."""
    for user, count in accounts.list_users():
        status = "active" if user.active else "deactivated"
        click.echo(f"{user.id}\t{user.email}\t{user.role}\t{status}\t{count} active keys")


@keys_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What will use the key, e.g. 'Mobile App'.")
def create_key(email: str, name: str) -> None:
    """Create a key; the key alone is the last line of stdout."""
    user = _user(email)
    try:
        key, full_key = service.create_key(
            user,
            name,
            rounds=_rounds(),
            max_active=current_app.config["MAX_ACTIVE_KEYS_PER_USER"],
        )
    except service.KeyRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(
        f"Created key {key.key_id} “{key.name}” for {user.email}. It is shown once:", err=True
    )
    click.echo(full_key)


@keys_cli.command("list")
@click.argument("email", required=False)
def list_keys(email: str | None) -> None:
    """List keys (of one user, or everyone's): key id, prefix, status, name. Never a secret."""
    user_id = _user(email).id if email else None
    for key in service.list_keys(user_id, with_owner=True):
        last_used = key.last_used_at.isoformat() if key.last_used_at else "never"
        click.echo(
            f"{key.key_id}\t{key.prefix}…\t{key.status}\t{key.user.email}\t"
            f"created {key.created_at.isoformat()}\tlast used {last_used}\t{key.name}"
        )


@keys_cli.command("revoke")
@click.argument("key_id")
def revoke_key(key_id: str) -> None:
    """Revoke a key by its key id; it is refused from the next request."""
    key = service.revoke_key(key_id, owner_id=None)
    if key is None:
        raise click.ClickException(f"No key with id {key_id!r}.")
    click.echo(f"Revoked key {key.key_id} “{key.name}”.")
