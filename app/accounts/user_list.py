"""Users a page at a time, each with their number of active keys."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import ApiKey, User
from app.models.columns import utcnow
from app.paging import Page, decode_cursor, encode_cursor, whole_number


def users_page(*, limit: int, cursor: str | None = None) -> Page[tuple[User, int]]:
    """Users, oldest account first, ``limit`` after ``cursor``, with their active keys."""
    now = utcnow()
    active_keys = (
        select(ApiKey.user_id, func.count(ApiKey.id).label("count"))
        .where(
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
        )
        .group_by(ApiKey.user_id)
        .subquery()
    )
    query = (
        select(User, func.coalesce(active_keys.c.count, 0))
        .outerjoin(active_keys, active_keys.c.user_id == User.id)
        .order_by(User.id)
        .limit(limit + 1)
    )
    if cursor is not None:
        (after,) = decode_cursor(cursor, whole_number)
        query = query.where(User.id > after)
    rows = [(user, count) for user, count in db.session.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1][0].id) if more else None)
