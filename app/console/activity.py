"""/activity (the user's own audit events) and /admin/audit (everyone's, for admins).

Both filter by action and by a range of days (in the viewer's time zone); the admin's log
also by the user an event concerns and by who acted, each given by email.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import accounts
from app.audit.actions import AuditAction
from app.audit.queries import SeenEvent, events_page
from app.console import bp
from app.console.admin import admin_required
from app.i18n.zones import viewer_zone
from app.paging import Page, PagingError

PAGE_SIZE = 50


@dataclass
class EventFilters:
    """What the event filters ask for, read from the query string."""

    action: AuditAction | None = None
    since: date | None = None
    until: date | None = None
    user: str = ""
    actor: str = ""
    # Why nothing can match (an email nobody has), said instead of "Nothing yet".
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> EventFilters:
        """The filters in ``args``; anything unreadable is left out."""
        action = args.get("action", "")
        return cls(
            action=AuditAction(action) if action in set(AuditAction) else None,
            since=_day(args.get("since", "")),
            until=_day(args.get("until", "")),
            user=args.get("user", "").strip()[:320],
            actor=args.get("actor", "").strip()[:320],
        )

    def query(self) -> dict[str, Any]:
        """``events_page`` arguments for the action and the days (the end day included)."""
        return {
            "action": self.action,
            "since": _midnight(self.since) if self.since else None,
            "until": _midnight(self.until + timedelta(days=1)) if self.until else None,
        }

    def person(self, email: str) -> int | None:
        """The id of the user with ``email``; 0 (nobody) and a problem when there is none."""
        if not email:
            return None
        user = accounts.get_user_by_email(email)
        if user is None:
            self.problems.append(_("No user has the email %(email)s.", email=email))
            return 0
        return user.id

    def args(self, **changes: str) -> dict[str, str]:
        """The query string of these filters with ``changes``, blanks left out."""
        values = {
            "action": self.action or "",
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "user": self.user,
            "actor": self.actor,
            **changes,
        }
        return {name: str(value) for name, value in values.items() if value}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _midnight(day: date) -> datetime:
    """The start of ``day`` where the viewer is: the days are those the page's times show."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(viewer_zone()))


def _page(**filters: Any) -> Page[SeenEvent]:
    page = partial(events_page, limit=PAGE_SIZE, **filters)
    try:
        return page(cursor=request.args.get("cursor") or None)
    except PagingError:
        return page()


@bp.get("/activity")
@login_required
def activity() -> ResponseReturnValue:
    """What the user did, and what happened to their account and keys, newest first."""
    filters = EventFilters.from_args(request.args)
    page = _page(own_user_id=current_user.id, **filters.query())
    return render_template("console/activity.html", page=page, filters=filters)


@bp.get("/admin/audit")
@admin_required
def admin_audit() -> ResponseReturnValue:
    """Every audit event, newest first; filtered by action, days, user and actor (emails)."""
    filters = EventFilters.from_args(request.args)
    user_id, actor_id = filters.person(filters.user), filters.person(filters.actor)
    page = _page(user_id=user_id, actor_id=actor_id, **filters.query())
    return render_template("admin/audit.html", page=page, filters=filters, actions=AuditAction)
