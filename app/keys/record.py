"""``KeyRecord``: what admitting an API request needs to know about a key and its owner.

Declared once: each field names the column it is read from and its ``Codec``, how it is
written as text (Redis keeps it so) and read back. The SQL read (app/keys/lookup.py), the
cached records in Redis and admit.lua's field lists (app/api/gate/) are all built from
this class. Adding a field: docs/architecture.md, "Adding a key field".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from limits import parse
from sqlalchemy.orm import QueryableAttribute

from app.keys.allowed_networks import from_script, to_script
from app.models import ApiKey, User


@dataclass(frozen=True)
class Codec:
    """How one field travels: from the database driver, to text, and back from text."""

    to_text: Callable[[Any], str]
    from_text: Callable[[bytes], Any]
    from_row: Callable[[Any], Any] | None = None  # None: the driver's value as it is


def _utc(value: datetime | str | None) -> datetime | None:
    """A timestamp column as the driver hands it over (SQLite: text), as an aware UTC time."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def _moment(text: bytes) -> datetime | None:
    return datetime.fromtimestamp(float(text), UTC) if text else None


INTEGER = Codec(str, int)
TEXT = Codec(str, bytes.decode)
OPTIONAL_TEXT = Codec(lambda value: value or "", lambda text: text.decode() or None)
FLAG = Codec(lambda value: "1" if value else "0", b"1".__eq__, bool)  # admit.lua reads "1"
# Unix seconds, "" for none (admit.lua compares it with the request's time).
MOMENT = Codec(lambda value: "" if value is None else repr(value.timestamp()), _moment, _utc)


def _limit_text(value: str | None) -> str:
    if not value:
        return ""
    item = parse(value)
    return f"{item.amount}/{item.get_expiry()}/{value}"


# "10 per minute"; in Redis after its amount and seconds, which admit.lua reads: "10/60/...".
OWN_LIMIT = Codec(_limit_text, lambda text: text.decode().split("/", 2)[-1] or None)
# Stored as "127.0.0.2/32,..."; in Redis as admit.lua matches addresses ("" for anywhere).
NETWORKS = Codec(to_script, lambda text: from_script(text.decode()))


def column(source: QueryableAttribute[Any], codec: Codec = TEXT) -> dict[str, Any]:
    """A field's metadata: read from ``source`` (of ``ApiKey`` or ``User``), as ``codec`` says."""
    return {"column": source, "codec": codec}


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A key's row joined to its owner's; once verified, what ``g.api_key`` is."""

    key_pk: int = field(metadata=column(ApiKey.id, INTEGER))
    key_id: str = field(metadata=column(ApiKey.key_id))
    name: str = field(metadata=column(ApiKey.name))
    verifier: str | None = field(metadata=column(ApiKey.verifier, OPTIONAL_TEXT))
    revoked_at: datetime | None = field(metadata=column(ApiKey.revoked_at, MOMENT))
    expires_at: datetime | None = field(metadata=column(ApiKey.expires_at, MOMENT))
    access: str = field(metadata=column(ApiKey.access))  # "full", "read" or "restricted"
    permissions: str | None = field(metadata=column(ApiKey.permissions, OPTIONAL_TEXT))
    allowed_networks: str | None = field(metadata=column(ApiKey.allowed_networks, NETWORKS))
    rate_limit: str | None = field(metadata=column(ApiKey.rate_limit, OWN_LIMIT))
    disabled_at: datetime | None = field(metadata=column(ApiKey.disabled_at, MOMENT))
    user_id: int = field(metadata=column(ApiKey.user_id, INTEGER))
    email: str = field(metadata=column(User.email))
    role: str = field(metadata=column(User.role))
    user_active: bool = field(metadata=column(User.active, FLAG))


@dataclass(frozen=True)
class Field:
    """One field of ``KeyRecord`` as the layers below need it."""

    name: str
    column: QueryableAttribute[Any]
    codec: Codec
    owner: bool  # a column of the owner (``User``): cached in the user's record


FIELDS: tuple[Field, ...] = tuple(
    Field(f.name, f.metadata["column"], f.metadata["codec"], f.metadata["column"].class_ is User)
    for f in fields(KeyRecord)
)
KEY_FIELDS = tuple(f.name for f in FIELDS if not f.owner)
OWNER_FIELDS = tuple(f.name for f in FIELDS if f.owner)
# Precomputed once: a request decodes its record with no lookups by name.
_FROM_ROW = tuple(
    (index, convert)
    for index, field in enumerate(FIELDS)
    if (convert := field.codec.from_row) is not None
)
_FROM_TEXT = tuple(f.codec.from_text for f in FIELDS)
_TO_TEXT = tuple((f.name, f.codec.to_text) for f in FIELDS)


def from_row(row: Sequence[Any]) -> KeyRecord:
    """The record from a database row whose columns are ``FIELDS``, in order."""
    values = list(row)
    for index, convert in _FROM_ROW:
        values[index] = convert(values[index])
    return KeyRecord(*values)


def from_text(values: Sequence[bytes]) -> KeyRecord:
    """The record from its fields as text (Redis' bytes), in ``FIELDS`` order."""
    return KeyRecord(*[decode(value) for decode, value in zip(_FROM_TEXT, values, strict=True)])


def to_text(record: KeyRecord) -> list[str]:
    """The record's fields as text, in ``FIELDS`` order."""
    return [encode(getattr(record, name)) for name, encode in _TO_TEXT]
