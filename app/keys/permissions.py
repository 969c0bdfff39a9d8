"""A key's permissions: ``none``, ``read`` or ``write`` on each resource of the API.

A ``restricted`` key stores them as text, every resource in ``Resource`` order:
``endpoint=write,keys=read,audit=none,admin=none``; the CLI takes the same form, with
resources left out meaning ``none``. ``full`` and ``read`` keys have none stored: their
levels follow from their access (write, or read, everywhere).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from app.keys.access import KeyAccess
from app.keys.rules import KeyRefused

READ_METHODS = frozenset({"GET", "HEAD"})


class Resource(StrEnum):
    """A part of the API a permission is given for (each API view declares its own)."""

    ENDPOINT = "endpoint"  # /api/endpoint
    KEYS = "keys"  # /api/keys...
    AUDIT = "audit"  # /api/audit
    ADMIN = "admin"  # /api/admin/..., which also needs the admin role


class Level(StrEnum):
    """How much a key may do on a resource; in rank order."""

    NONE = "none"
    READ = "read"  # GET and HEAD
    WRITE = "write"  # every method


RANK = {level: rank for rank, level in enumerate(Level)}
# Bound: 256 (access, stored permissions) pairs parsed; there are few distinct ones.
PERMISSIONS_CACHED = 256
Permissions = dict[Resource, Level]


class InvalidPermissions(KeyRefused):
    """An unknown resource or level, or a resource named twice."""


def parse_permissions(value: str | Mapping[str, object] | None) -> Permissions:
    """Permissions from ``endpoint=write,keys=read`` or a mapping; ``none`` where left out."""
    if value is None:
        value = {}
    if isinstance(value, str):
        pairs: list[tuple[object, object]] = []
        for part in filter(None, (part.strip() for part in value.split(","))):
            resource, equals, level = part.partition("=")
            if not equals:
                raise InvalidPermissions(
                    _l("Write permissions as resource=level, such as endpoint=write,keys=read.")
                )
            pairs.append((resource.strip(), level.strip()))
    else:
        pairs = list(value.items())
    permissions = dict.fromkeys(Resource, Level.NONE)
    seen: set[object] = set()
    for resource, level in pairs:  # type: ignore[assignment]
        if resource not in set(Resource):
            raise InvalidPermissions(
                _l(
                    "%(resource)r is not a resource: choose endpoint, keys, audit or admin.",
                    resource=resource,
                )
            )
        if level not in set(Level):
            raise InvalidPermissions(
                _l("%(level)r is not a level: choose none, read or write.", level=level)
            )
        if resource in seen:
            raise InvalidPermissions(_l("%(resource)s is named twice.", resource=resource))
        seen.add(resource)
        permissions[Resource(str(resource))] = Level(str(level))
    return permissions


def permissions_text(permissions: Mapping[Resource, Level]) -> str:
    """The stored form: every resource, in ``Resource`` order."""
    return ",".join(f"{resource}={permissions[resource]}" for resource in Resource)


@functools.lru_cache(maxsize=PERMISSIONS_CACHED)
def levels(access: str, stored: str | None) -> Mapping[Resource, Level]:
    """What a key may do on each resource, from its access and its stored permissions."""
    if access == KeyAccess.RESTRICTED:
        return parse_permissions(stored)
    return dict.fromkeys(Resource, Level.READ if access == KeyAccess.READ else Level.WRITE)


def needed(method: str) -> Level:
    """The level a request's method needs."""
    return Level.READ if method in READ_METHODS else Level.WRITE


def refusal(access: str, stored: str | None, resource: Resource, method: str) -> str | None:
    """Why a key may not use ``method`` on ``resource`` (the API's words), or None if it may."""
    if access == KeyAccess.FULL:
        return None
    need = needed(method)
    if RANK[levels(access, stored)[resource]] >= RANK[need]:
        return None
    if access == KeyAccess.READ:
        return "This key is read-only: it may only GET and HEAD."
    return f"This key has no {need} permission on {resource}."


def is_narrowing(
    old_access: str, old_stored: str | None, new_access: str, new_stored: str | None
) -> bool:
    """Whether the new access and permissions allow nothing the old ones did not.

    Only a full key may stay full: "full" follows the owner's role, which no list of
    permissions can promise to stay within.
    """
    if new_access == KeyAccess.FULL:
        return old_access == KeyAccess.FULL
    old, new = levels(old_access, old_stored), levels(new_access, new_stored)
    return all(RANK[new[resource]] <= RANK[old[resource]] for resource in Resource)
