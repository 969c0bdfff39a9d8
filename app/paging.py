"""Keyset pages: ``?limit=`` and an opaque ``?cursor=`` that stays right under inserts.

A cursor names the last row of the page before (its sort key and id), not an offset, so
rows created meanwhile neither repeat nor push others off a page. A cursor that cannot be
used is a ``PagingError`` with a message for people (the API answers it with 400).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# The largest id an integer primary key holds on every database the app runs on
# (PostgreSQL's ``integer``): a larger id in a URL or a filter is nobody's, and is answered
# as such before any query, which the database would refuse to bind.
MAX_ROW_ID = 2**31 - 1

T = TypeVar("T")


class PagingError(ValueError):
    """A cursor that cannot be used; ``str()`` says why."""


class Page(NamedTuple, Generic[T]):
    """Rows, and the cursor of the next page (None on the last)."""

    rows: list[T]
    next_cursor: str | None


def is_whole_number(text: str) -> bool:
    """Whether ``text`` is ASCII digits only.

    ``str.isdigit`` alone also takes "²", which ``int`` then refuses, and "١٢", which it
    reads as 12.
    """
    return text.isascii() and text.isdigit()


def encode_cursor(*values: Any) -> str:
    """An opaque cursor holding ``values`` (JSON, base64url)."""
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *kinds: Callable[[Any], Any]) -> tuple[Any, ...]:
    """The values in ``cursor``, each checked by its kind (``whole_number``, ``text_or_none``)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        return tuple(kind(value) for kind, value in zip(kinds, values, strict=True))
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeError):
        raise PagingError("cursor is not one this API gave out.") from None


def whole_number(value: Any) -> int:
    """A cursor value that must be a whole number (a row's id) that a database can hold."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise ValueError
    return value


def moment_or_none(value: Any) -> datetime | None:
    """A cursor value that is an ISO 8601 time with its offset, or null (never used)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError
    moment = datetime.fromisoformat(value)
    if moment.utcoffset() is None:
        raise ValueError
    return moment
