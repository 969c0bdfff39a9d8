"""``flask keys ...``: create, rotate, list, disable, enable and revoke keys.

A new key is stdout's last line.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import current_app
from flask.cli import AppGroup

from app.audit import Actor
from app.cli import EnumChoice, existing_user, refused, rounds, verifier
from app.keys import service
from app.keys.access import KeyAccess
from app.keys.allowed_networks import network_list
from app.keys.key_list import keys_page
from app.keys.rules import KeyRefused, check_access, parse_duration
from app.keys.scope import KeyScope
from app.keys.signals import ChangeNotPassedOn
from app.models import ApiKey
from app.models.columns import iso_or_none
from app.paging import MAX_LIMIT

keys_cli = AppGroup("keys", help="Create, rotate, list, disable, enable and revoke API keys.")


@keys_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What will use the key, e.g. 'Mobile App'.")
@click.option("--expires-in", "expires_in", help="90s, 15m, 12h or 30d; never when left out.")
@click.option(
    "--access",
    type=EnumChoice(KeyAccess, check_access),
    help="full (the default), read: GET and HEAD only, or restricted: what --permissions "
    "allow (the default with --permissions).",
)
@click.option(
    "--permissions",
    help="For restricted keys: endpoint=write,keys=read (levels none, read, write; "
    "resources endpoint, keys, audit, admin; none where left out).",
)
@click.option(
    "--allow",
    "allowed_networks",
    multiple=True,
    help="An address or CIDR range the key may be used from (repeat, at most 20).",
)
@click.option("--rate-limit", "rate_limit", help="The key's own limit, e.g. '10 per minute'.")
@click.option("--description", help="Free text about the key (at most 500 characters).")
def create_key(
    email: str,
    name: str,
    expires_in: str | None,
    access: KeyAccess | None,
    permissions: str | None,
    allowed_networks: tuple[str, ...],
    rate_limit: str | None,
    description: str | None,
) -> None:
    """Create a key; the key alone is the last line of stdout."""
    user = existing_user(email)
    if access is None:
        access = KeyAccess.RESTRICTED if permissions else KeyAccess.FULL
    scope = KeyScope(description, permissions, list(allowed_networks), rate_limit)
    try:
        lifetime = None if expires_in is None else parse_duration(expires_in)
        key, full_key = service.create_key(
            user,
            name,
            rounds=rounds(),
            verifier=verifier(),
            max_active=current_app.config["MAX_ACTIVE_KEYS_PER_USER"],
            expires_in=lifetime,
            access=access,
            actor=Actor.system(),
            scope=scope,
        )
    except KeyRefused as error:
        raise refused(error) from None
    ends = f", expires {key.expires_at.isoformat()}" if key.expires_at else ""
    click.echo(
        f"Created key {key.key_id} “{key.name}” for {user.email} ({key.access} access{ends}). "
        "It is shown once:",
        err=True,
    )
    click.echo(full_key)


@keys_cli.command("rotate")
@click.argument("key_id")
@click.option(
    "--grace",
    default="24h",
    show_default=True,
    help="How long the old key keeps working (0s: not at all).",
)
def rotate_key(key_id: str, grace: str) -> None:
    """Replace a key (same name, owner, access, limits); the new key alone is stdout's last line."""
    try:
        rotated = service.rotate_key(
            key_id,
            owner_id=None,
            grace=parse_duration(grace, allow_zero=True),
            rounds=rounds(),
            verifier=verifier(),
            max_active=current_app.config["MAX_ACTIVE_KEYS_PER_USER"],
        )
    except (KeyRefused, ChangeNotPassedOn) as error:
        raise refused(error) from None
    if rotated is None:
        raise click.ClickException(f"No key with id {key_id!r}.")
    old, new, full_key = rotated
    click.echo(
        f"Rotated key {old.key_id} “{old.name}”: it works until {iso_or_none(old.expires_at)}. "
        f"Its replacement {new.key_id} is shown once:",
        err=True,
    )
    click.echo(full_key)


@keys_cli.command("list")
@click.argument("email", required=False)
def list_keys(email: str | None) -> None:
    """List keys (of one user, or everyone's); never a secret.

    Key id, prefix, status, access, owner, dates, permissions, allowed networks, own rate
    limit, name.
    """
    owner_id = existing_user(email).id if email else None
    cursor = None
    while True:
        page = keys_page(owner_id=owner_id, limit=MAX_LIMIT, cursor=cursor, with_owner=True)
        for key in page.rows:
            last_used = key.last_used_at.isoformat() if key.last_used_at else "never"
            expires = key.expires_at.isoformat() if key.expires_at else "never"
            narrowed = [
                f"permissions {key.permissions}" if key.permissions else "",
                f"from {' '.join(network_list(key.allowed_networks))}"
                if key.allowed_networks
                else "",
                f"limit {key.rate_limit}" if key.rate_limit else "",
            ]
            click.echo(
                f"{key.key_id}\t{key.prefix}…\t{key.status}\t{key.access}\t{key.user.email}\t"
                f"created {key.created_at.isoformat()}\tlast used {last_used}\t"
                f"expires {expires}\t"
                + "".join(f"{part}\t" for part in narrowed if part)
                + key.name
            )
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _changed(change: Callable[..., ApiKey | None], key_id: str) -> ApiKey:
    """Apply a change of state to the key (any owner's), or exit 1 with one line."""
    try:
        key = change(key_id, owner_id=None)
    except (KeyRefused, ChangeNotPassedOn) as error:
        raise refused(error) from None
    if key is None:
        raise click.ClickException(f"No key with id {key_id!r}.")
    return key


@keys_cli.command("revoke")
@click.argument("key_id")
def revoke_key(key_id: str) -> None:
    """Revoke a key by its key id; it is refused from the next request."""
    key = _changed(service.revoke_key, key_id)
    click.echo(f"Revoked key {key.key_id} “{key.name}”.")


@keys_cli.command("disable")
@click.argument("key_id")
def disable_key(key_id: str) -> None:
    """Disable a key: refused with 401 disabled_api_key from the next request, until enabled."""
    key = _changed(service.disable_key, key_id)
    click.echo(f"Key {key.key_id} “{key.name}” is {key.status}.")


@keys_cli.command("enable")
@click.argument("key_id")
def enable_key(key_id: str) -> None:
    """Enable a disabled key again (never a revoked or expired one)."""
    key = _changed(service.enable_key, key_id)
    click.echo(f"Key {key.key_id} “{key.name}” is {key.status}.")
