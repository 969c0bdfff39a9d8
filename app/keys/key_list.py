"""Lists of keys, a page at a time: filtered by status and access, searched by name, sorted.

Two kinds of page: ``keys_page`` (a cursor that stays right under inserts: the API and the
CLI) and ``keys_slice`` (a numbered page and the total: the console, which shows
"51-100 of 120" and Previous).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.keys.access import KeyAccess
from app.keys.permissions import Level, Resource
from app.keys.status import KeyStatus
from app.models import ApiKey
from app.models.columns import iso_or_none, utcnow
from app.paging import Page, decode_cursor, encode_cursor, moment_or_none, whole_number

# The status (or access) filter that lets every key through.
ANY_STATUS = "all"
ANY_ACCESS = "all"
# The access filter for the keys a higher role gives more power (see ``acts_with_role``).
ACTS_WITH_ROLE = "acts_with_role"


class KeyOrder(StrEnum):
    """How a list of keys is sorted."""

    # Newest first.
    CREATED = "created"
    # Most recently used first, never-used keys last.
    LAST_USED = "last_used"
    # By name, A to Z (numbered pages only).
    NAME = "name"
    # Soonest expiry first, keys that never expire last (numbered pages only).
    EXPIRES = "expires"


@dataclass(frozen=True)
class KeyFilter:
    """Which keys a list shows: a status, an access, part of the name, made before a time."""

    status: str = ANY_STATUS
    access: str = ANY_ACCESS
    search: str = ""
    created_before: datetime | None = None


def keys_page(
    *,
    owner_id: int | None,
    limit: int,
    cursor: str | None = None,
    status: KeyStatus | str = ANY_STATUS,
    search: str = "",
    sort: KeyOrder | str = KeyOrder.CREATED,
    with_owner: bool = False,
) -> Page[ApiKey]:
    """The owner's keys (everyone's when ``owner_id`` is None), ``limit`` after ``cursor``.

    Sorted by ``sort``; ``status`` (a ``KeyStatus`` or ``ANY_STATUS``) and ``search``
    (part of the name) filter.
    """
    query = select(ApiKey).limit(limit + 1)
    if owner_id is not None:
        query = query.where(ApiKey.user_id == owner_id)
    if with_owner:
        query = query.options(joinedload(ApiKey.user))
    query = _filtered(query, KeyFilter(status=status, search=search), utcnow())
    if sort == KeyOrder.LAST_USED:
        query = query.order_by(ApiKey.last_used_at.desc().nulls_last(), ApiKey.id.desc())
        if cursor is not None:
            used, key_pk = decode_cursor(cursor, moment_or_none, whole_number)
            query = query.where(_after_last_used(used, key_pk))
    else:
        query = query.order_by(ApiKey.id.desc())
        if cursor is not None:
            (key_pk,) = decode_cursor(cursor, whole_number)
            query = query.where(ApiKey.id < key_pk)
    rows = list(db.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = (
            encode_cursor(iso_or_none(last.last_used_at), last.id)
            if sort == KeyOrder.LAST_USED
            else encode_cursor(last.id)
        )
    return Page(rows, next_cursor)


def keys_slice(
    *, owner_id: int, which: KeyFilter, sort: KeyOrder | str, offset: int, limit: int
) -> tuple[list[ApiKey], int]:
    """The owner's keys that ``which`` lets through: ``limit`` from ``offset``, and how many."""
    query = _filtered(select(ApiKey).where(ApiKey.user_id == owner_id), which, utcnow())
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(*_ORDER[KeyOrder(sort)]).offset(offset).limit(limit)
    return list(db.session.scalars(ordered)), total


_ORDER = {
    KeyOrder.CREATED: (ApiKey.id.desc(),),
    KeyOrder.LAST_USED: (ApiKey.last_used_at.desc().nulls_last(), ApiKey.id.desc()),
    KeyOrder.NAME: (func.lower(ApiKey.name), ApiKey.id.desc()),
    KeyOrder.EXPIRES: (ApiKey.expires_at.asc().nulls_last(), ApiKey.id.desc()),
}


def acts_with_role() -> ColumnElement[bool]:
    """Keys a higher role gives more power: full access, or restricted with an admin permission.

    The admin endpoints are what a role opens (a read-only key's reads stay reads, and the
    budget is the owner's whatever the key).
    """
    no_admin = f"%{Resource.ADMIN}={Level.NONE}%"  # every resource is stored, in order
    return or_(
        ApiKey.access == KeyAccess.FULL,
        and_(ApiKey.access == KeyAccess.RESTRICTED, ApiKey.permissions.not_like(no_admin)),
    )


def _filtered(query: Select[ApiKey], which: KeyFilter, now: datetime) -> Select[ApiKey]:
    status, search = which.status, which.search.strip()
    # The same rule as ApiKey.status_at, as SQL.
    live = or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now)
    if status == KeyStatus.ACTIVE:
        query = query.where(ApiKey.revoked_at.is_(None), live, ApiKey.disabled_at.is_(None))
    elif status == KeyStatus.DISABLED:
        query = query.where(ApiKey.revoked_at.is_(None), live, ApiKey.disabled_at.is_not(None))
    elif status == KeyStatus.EXPIRED:
        query = query.where(ApiKey.revoked_at.is_(None), ApiKey.expires_at <= now)
    elif status == KeyStatus.REVOKED:
        query = query.where(ApiKey.revoked_at.is_not(None))
    if search:
        query = query.where(
            or_(
                ApiKey.name.icontains(search, autoescape=True),
                ApiKey.description.icontains(search, autoescape=True),
            )
        )
    if which.access == ACTS_WITH_ROLE:
        query = query.where(acts_with_role())
    elif which.access != ANY_ACCESS:
        query = query.where(ApiKey.access == which.access)
    if which.created_before is not None:
        query = query.where(ApiKey.created_at <= which.created_before)
    return query


def _after_last_used(moment: datetime | None, key_pk: int) -> ColumnElement[bool]:
    """Rows after (``moment``, ``key_pk``) in last-used order, never-used keys last."""
    if moment is None:
        return and_(ApiKey.last_used_at.is_(None), ApiKey.id < key_pk)
    return or_(
        ApiKey.last_used_at < moment,
        and_(ApiKey.last_used_at == moment, ApiKey.id < key_pk),
        ApiKey.last_used_at.is_(None),
    )
