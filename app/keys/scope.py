"""``KeyScope``: what narrows a key beyond its access, as one value the operations pass on.

Its description, a restricted key's permissions, its allowed networks and its own rate
limit. ``cleaned`` checks every part and turns it into the stored form; a create, an edit
and a rotation all go through it, so the rules live in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from app.keys.access import KeyAccess
from app.keys.allowed_networks import clean_networks, network_list
from app.keys.descriptions import clean_description
from app.keys.own_limit import clean_rate_limit
from app.keys.permissions import InvalidPermissions, parse_permissions, permissions_text
from app.models import ApiKey


@dataclass(frozen=True)
class KeyScope:
    """A key's description, permissions, allowed networks and own rate limit."""

    description: str | None = None
    permissions: str | Mapping[str, object] | None = None
    allowed_networks: Iterable[str] | str | None = None
    rate_limit: str | None = None

    def cleaned(self, access: KeyAccess, role_limit: str) -> KeyScope:
        """The scope in its stored form, checked; raises a ``KeyRefused`` saying what is wrong.

        ``role_limit``: the owner's role budget, which the key's own limit may not exceed.
        """
        permissions = None
        if access == KeyAccess.RESTRICTED:
            permissions = permissions_text(parse_permissions(self.permissions))
        elif self.permissions:
            raise InvalidPermissions(
                _l("Permissions are for restricted keys: choose restricted access.")
            )
        return KeyScope(
            description=clean_description(self.description),
            permissions=permissions,
            allowed_networks=clean_networks(self.allowed_networks),
            rate_limit=clean_rate_limit(self.rate_limit, role_limit),
        )

    def apply(self, row: ApiKey) -> None:
        """Write this (cleaned) scope onto ``row``."""
        row.description = self.description
        row.permissions = self.permissions if isinstance(self.permissions, str) else None
        row.allowed_networks = (
            self.allowed_networks if isinstance(self.allowed_networks, str) else None
        )
        row.rate_limit = self.rate_limit

    def details(self) -> dict[str, Any]:
        """The parts that are set, for an audit event."""
        shown = asdict(self)
        shown["allowed_networks"] = network_list(shown["allowed_networks"]) or None
        return {name: value for name, value in shown.items() if value}

    @classmethod
    def of(cls, row: ApiKey) -> KeyScope:
        """The scope stored on ``row`` (a rotation carries it to the new key)."""
        return cls(row.description, row.permissions, row.allowed_networks, row.rate_limit)
