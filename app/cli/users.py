"""``flask users ...``: create users, change roles, deactivate and reactivate."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app import accounts
from app.audit import Actor
from app.cli import EnumChoice, existing_user, refused, rounds
from app.keys.signals import ChangeNotPassedOn
from app.paging import MAX_LIMIT
from app.roles import Role

users_cli = AppGroup("users", help="Create users, change roles, deactivate.")

ROLE = EnumChoice(Role, accounts.check_role)


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role", type=ROLE, default=Role.STANDARD.value, show_default=True, help="Their role."
)
@click.option("--password", help="Prompted for (hidden, twice) when left out.")
def create_user(email: str, role: Role, password: str | None) -> None:
    """Create a user."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(
            email, password, rounds=rounds(), role=role, actor=Actor.system()
        )
    except accounts.AccountRefused as error:
        raise refused(error) from None
    click.echo(f"Created {user.role} user {user.email} (id {user.id}).")


@users_cli.command("bootstrap")
@click.option("--email", default="admin@example.com", show_default=True)
def bootstrap(email: str) -> None:
    """Create the first admin with a random password, printed once, if there is no user."""
    created = accounts.create_first_admin(email, rounds=rounds())
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
@click.argument("role", type=ROLE)
def set_role(email: str, role: Role) -> None:
    """Change a user's role."""
    user = existing_user(email)
    try:
        change = accounts.update_user(user, role=role)
    except (accounts.AccountRefused, ChangeNotPassedOn) as error:
        raise refused(error) from None
    click.echo(f"{user.email} is now {user.role}.")
    if change.role_rose and change.empowered_keys:
        click.echo(
            f"{change.empowered_keys} active key(s) of {user.email} with full access or an admin "
            f"permission now act as {user.role}. They will see a notice; other keys are unchanged."
        )


@users_cli.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """Deactivate a user: they cannot sign in and their keys stop working."""
    user = existing_user(email)
    try:
        accounts.update_user(user, active=False)
    except (accounts.AccountRefused, ChangeNotPassedOn) as error:
        raise refused(error) from None
    click.echo(f"{user.email} is deactivated; their keys are refused from the next request.")


@users_cli.command("reactivate")
@click.argument("email")
def reactivate(email: str) -> None:
    """Reactivate a deactivated user: they can sign in again and their keys work again."""
    user = existing_user(email)
    try:
        accounts.update_user(user, active=True)
    except ChangeNotPassedOn as error:
        raise refused(error) from None
    click.echo(f"{user.email} is active again.")


@users_cli.command("list")
def list_users() -> None:
    """List users with role, status and active key count."""
    cursor = None
    while True:
        page = accounts.users_page(limit=MAX_LIMIT, cursor=cursor)
        for user, count in page.rows:
            status = "active" if user.active else "deactivated"
            click.echo(f"{user.id}\t{user.email}\t{user.role}\t{status}\t{count} active keys")
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
