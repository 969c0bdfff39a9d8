"""Sessions by name: "Chrome on Linux" from a User-Agent (ua-parser), and ending one session."""

from __future__ import annotations

import functools

import ua_parser
from flask_babel import gettext as _
from sqlalchemy import select, update

from app import audit
from app.audit import Actor
from app.audit.actions import AuditAction
from app.database import write_transaction
from app.extensions import db
from app.models import UserSession
from app.models.columns import utcnow

_UNKNOWN = "Other"  # ua-parser's family for what it does not recognise


SESSION_NAMES_CACHED = 1024  # user agents whose browser and system are kept parsed


@functools.lru_cache(maxsize=SESSION_NAMES_CACHED)
def _families(user_agent: str) -> tuple[str | None, str | None]:
    parsed = ua_parser.parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else None
    system = parsed.os.family if parsed.os else None
    return (
        None if browser in (None, _UNKNOWN) else browser,
        None if system in (None, _UNKNOWN) else system,
    )


def session_name(user_agent: str) -> str:
    """The browser and system of a session, in the page's language: "Chrome on Linux"."""
    browser, system = _families(user_agent or "")
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser:
        return browser
    if system:
        return _("A browser on %(system)s", system=system)
    return _("Unknown browser")


def end_one(user_id: int, session_id: int, actor: Actor) -> UserSession | None:
    """End one living session of the user (recorded); None if they have no such session."""
    with write_transaction():
        row = db.session.scalar(
            select(UserSession).where(
                UserSession.id == session_id,
                UserSession.user_id == user_id,
                UserSession.ended_at.is_(None),
            )
        )
        if row is None:
            return None
        db.session.execute(
            update(UserSession).where(UserSession.id == row.id).values(ended_at=utcnow())
        )
        audit.record(
            AuditAction.USER_SESSION_ENDED,
            actor,
            target=f"user:{user_id}",
            subject_user_id=user_id,
            details={"session": row.id, "ip": row.ip},
        )
    return row
