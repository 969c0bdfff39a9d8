"""Which resource of the API each view acts on, declared once per view with ``@resource``.

The key hook refuses a key without the permission a request needs before the view runs
(app/keys/permissions.py: ``read`` for GET and HEAD, ``write`` for the rest), and
/openapi.json names that permission as the role of each operation's security requirement
(app/openapi/answers.py). ``resource(None)``: every key may call it (``GET /api/me``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from app.keys.permissions import Resource, needed

F = TypeVar("F", bound=Callable[..., object])

ANY_KEY = "any"  # the role of an operation every key may call
_DECLARED: dict[str, Resource | None] = {}  # by endpoint (the view's name)


class Undeclared(LookupError):
    """A view that declares no resource: only a full key may call it."""


def resource(declared: Resource | None) -> Callable[[F], F]:
    """Declare the resource the decorated view acts on (None: any key may call it)."""

    def decorate(view: F) -> F:
        # Looked up by the endpoint's last part: two views of one name must agree.
        if _DECLARED.setdefault(view.__name__, declared) != declared:
            raise ValueError(f"two API views named {view.__name__} declare different resources")
        return view

    return decorate


def resource_of(endpoint: str) -> Resource | None:
    """The resource of the API view ``endpoint`` (``api.list_keys``); raises ``Undeclared``."""
    try:
        return _DECLARED[endpoint.rpartition(".")[2]]
    except KeyError:
        raise Undeclared(endpoint) from None


def role_of(endpoint: str, method: str) -> str | None:
    """The permission an operation needs, as /openapi.json names it (``keys:write``)."""
    try:
        declared = resource_of(endpoint)
    except Undeclared:
        return None
    return ANY_KEY if declared is None else f"{declared}:{needed(method.upper())}"
