"""``flask users``, ``flask keys``, ``flask audit`` and the rest: one group a module.

Bad input exits non-zero with one line on stderr (``click.ClickException``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import click
from flask import Flask, current_app

from app import accounts
from app.keys import verifier_secret
from app.keys.hmac_verifier import VerifierSecret

if TYPE_CHECKING:
    from app.models import User


def init_app(app: Flask) -> None:
    """Add the command groups to ``flask``."""
    from app.cli import account_security  # noqa: F401  (adds to users_cli)
    from app.cli.audit import audit_cli
    from app.cli.config import config_cli
    from app.cli.keys import keys_cli
    from app.cli.notices import notices_cli
    from app.cli.sessions import sessions_cli
    from app.cli.users import users_cli
    from app.cli.version import version

    for group in (users_cli, keys_cli, audit_cli, config_cli, notices_cli, sessions_cli, version):
        app.cli.add_command(group)


class EnumChoice(click.Choice[str]):
    """A ``click.Choice`` of a ``StrEnum``'s values, checked by the domain's own rule.

    Help and completion list the values; ``check`` turns one into the member, or raises the
    domain's refusal, which the CLI prints as its one line.
    """

    def __init__(self, enum: type[StrEnum], check: Callable[[str], StrEnum]) -> None:
        super().__init__([member.value for member in enum])
        self.check = check

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> StrEnum:
        """The member ``value`` names, or the one-line refusal."""
        try:
            return self.check(value)
        except ValueError as error:  # the domain's refusals are ValueErrors
            raise refused(error) from None


def rounds() -> int:
    """The bcrypt cost for new keys and passwords."""
    return current_app.config["BCRYPT_ROUNDS"]


def verifier() -> VerifierSecret:
    """The secret that new keys' verifiers are made under."""
    return verifier_secret(current_app)


def refused(error: Exception) -> click.ClickException:
    """A refusal as the one clear line on stderr that the CLI exits with."""
    return click.ClickException(str(error))


def existing_user(email: str) -> User:
    """The user with this email, or the CLI's one-line refusal."""
    try:
        return accounts.require_user(email)
    except accounts.AccountRefused as error:
        raise refused(error) from None
