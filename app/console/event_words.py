"""Audit events in words, for people, in the page's language.

"alice@example.org changed your role from standard to premium", "Key “Mobile App”
(ck_I4WK…) rotated": each user and key a link where the reader may follow it, and "you"
for the reader.

Each sentence is one translatable message, with a form for the reader and one for someone
else, so every language can make its verbs agree. User data (emails, key names) is escaped
before it goes in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import cast

from flask import url_for
from flask.sansio.app import App
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.local import LocalProxy

from app.audit.actions import AuditAction
from app.audit.queries import NamedKey, SeenEvent, named_subjects
from app.console.labels import ROLES
from app.i18n.catalog import lazy_gettext as _l
from app.i18n.catalog import pgettext
from app.models import User

A = AuditAction
# For each action about a user: (the reader's own form, the form for someone else's).
ABOUT_USER = {
    A.USER_CREATED: (_l("Your account was created"), _l("Account %(user)s was created")),
    A.USER_SIGNED_IN: (_l("You signed in"), _l("%(user)s signed in")),
    A.USER_SIGN_IN_FAILED: (
        _l("A sign-in to your account failed"),
        _l("A sign-in to %(user)s failed"),
    ),
    A.USER_DEACTIVATED: (_l("Your account was deactivated"), _l("%(user)s was deactivated")),
    A.USER_REACTIVATED: (_l("Your account was reactivated"), _l("%(user)s was reactivated")),
    A.USER_SESSIONS_ENDED: (
        _l("Your other sessions were signed out"),
        _l("The other sessions of %(user)s were signed out"),
    ),
    A.USER_SESSION_ENDED: (
        _l("A session of yours was signed out"),
        _l("A session of %(user)s was signed out"),
    ),
    A.USER_PASSWORD_CHANGED: (
        _l("Your password was changed"),
        _l("The password of %(user)s was changed"),
    ),
    A.USER_PASSWORD_RESET_REQUESTED: (
        _l("A password reset was requested for your account"),
        _l("A password reset was requested for %(user)s"),
    ),
    A.USER_PASSWORD_RESET: (
        _l("Your password was reset"),
        _l("The password of %(user)s was reset"),
    ),
    A.USER_TWO_FACTOR_ENABLED: (
        _l("Your second factor was turned on"),
        _l("The second factor of %(user)s was turned on"),
    ),
    A.USER_TWO_FACTOR_DISABLED: (
        _l("Your second factor was turned off"),
        _l("The second factor of %(user)s was turned off"),
    ),
    A.USER_RECOVERY_CODE_USED: (
        _l("One of your recovery codes was used"),
        _l("A recovery code of %(user)s was used"),
    ),
    A.USER_RECOVERY_CODES_REPLACED: (
        _l("Your recovery codes were replaced"),
        _l("The recovery codes of %(user)s were replaced"),
    ),
}
# For each action about a key: (the reader's own key, someone else's).
ABOUT_KEY = {
    A.KEY_CREATED: (_l("Key %(key)s created"), _l("Key %(key)s of %(user)s created")),
    A.KEY_ROTATED: (_l("Key %(key)s rotated"), _l("Key %(key)s of %(user)s rotated")),
    A.KEY_REVOKED: (_l("Key %(key)s revoked"), _l("Key %(key)s of %(user)s revoked")),
    A.KEY_NEW_NETWORK: (
        _l("Key %(key)s used from a new network, %(network)s"),
        _l("Key %(key)s of %(user)s used from a new network, %(network)s"),
    ),
    A.KEY_DISABLED: (_l("Key %(key)s disabled"), _l("Key %(key)s of %(user)s disabled")),
    A.KEY_ENABLED: (_l("Key %(key)s enabled"), _l("Key %(key)s of %(user)s enabled")),
    A.KEY_EDITED: (_l("Key %(key)s edited"), _l("Key %(key)s of %(user)s edited")),
    A.KEY_ADDRESS_REFUSED: (
        _l("Key %(key)s refused from %(address)s, outside its allowed networks"),
        _l("Key %(key)s of %(user)s refused from %(address)s, outside its allowed networks"),
    ),
    A.KEY_LEAKED: (
        _l("Key %(key)s found in public"),
        _l("Key %(key)s of %(user)s found in public"),
    ),
}


@dataclass(frozen=True)
class EventLine:
    """One event as a sentence, who did it (when not already said) and the event."""

    event: SeenEvent
    sentence: Markup
    by: Markup | None


def in_words(events: list[SeenEvent], reader: User | None = None) -> list[EventLine]:
    """``events`` as ``reader`` (the signed-in user by default) reads them."""
    emails, keys = named_subjects(events)
    # The user itself, not the proxy: each event asks who reads it a few times.
    reader = reader or cast("LocalProxy[User]", current_user)._get_current_object()
    words = _Words(reader, emails, keys)
    return [words.line(event) for event in events]


def init_app(app: App) -> None:
    """Let every template put events in words: ``events_in_words(events)``."""
    app.jinja_env.globals["events_in_words"] = in_words


@dataclass
class _Words:
    reader: User
    emails: dict[int, str]
    keys: dict[str, NamedKey]
    # An admin's link to each user named, built once: a page names the same few many times.
    user_pages: dict[int, str] = field(default_factory=dict)

    def line(self, event: SeenEvent) -> EventLine:
        details = json.loads(event.details or "{}")
        if event.action == A.USER_ROLE_CHANGED:
            return EventLine(event, self._role_changed(event, details), None)
        about_reader = event.subject_user_id in (None, self.reader.id)
        values: dict[str, Markup | str] = {"user": self.user(event.subject_user_id)}
        if event.action in ABOUT_KEY:
            own, other = ABOUT_KEY[A(event.action)]
            values["key"] = self.key(event.target.removeprefix("key:"), details)
            values["network"] = escape(str(details.get("network", "")))
            values["address"] = escape(str(details.get("address", "")))
        elif event.action in ABOUT_USER:
            own, other = ABOUT_USER[A(event.action)]
        else:  # an action this console has no words for yet: its name
            return EventLine(event, escape(event.action), self.by(event))
        sentence = _fill(own if about_reader else other, values)
        return EventLine(event, sentence, self.by(event))

    def _role_changed(self, event: SeenEvent, details: dict[str, object]) -> Markup:
        names = {str(role): str(label) for role, label in ROLES.items()}
        values: dict[str, Markup | str] = {
            "user": self.user(event.subject_user_id),
            "old": names.get(str(details.get("from")), ""),
            "new": names.get(str(details.get("to")), ""),
        }
        yours = event.subject_user_id == self.reader.id
        actor = event.actor_user_id
        if actor is None or actor == event.subject_user_id:
            message = (
                _l("Your role changed from %(old)s to %(new)s")
                if yours
                else _l("The role of %(user)s changed from %(old)s to %(new)s")
            )
        elif actor == self.reader.id:
            message = _l("You changed the role of %(user)s from %(old)s to %(new)s")
        else:
            values["actor"] = self.person(actor, event.actor_email)
            message = (
                _l("%(actor)s changed your role from %(old)s to %(new)s")
                if yours
                else _l("%(actor)s changed the role of %(user)s from %(old)s to %(new)s")
            )
        return _fill(message, values)

    def by(self, event: SeenEvent) -> Markup | None:
        """By you, or by alice@example.org: when someone other than the subject acted."""
        actor = event.actor_user_id
        if actor is None or actor == event.subject_user_id:
            return None
        return _fill(_l("by %(who)s"), {"who": self.person(actor, event.actor_email)})

    def person(self, user_id: int | None, email: str) -> Markup:
        """The reader as "you"; anyone else by email, a link to them for an admin."""
        if user_id is not None and user_id == self.reader.id:
            return escape(pgettext("the reader", "you"))
        if user_id is not None and self.reader.is_admin:
            return Markup('<a href="{}">{}</a>').format(self.user_page(user_id), email)
        return escape(email)

    def user(self, user_id: int | None) -> Markup:
        """A user an event concerns, by email (a link for an admin)."""
        if user_id is None:
            return Markup("")
        return self.person(user_id, self.emails.get(user_id, f"#{user_id}"))

    def key(self, key_id: str, details: dict[str, object]) -> Markup:
        """“Mobile App” (ck_I4WK…): its page for its owner, the owner's page for an admin."""
        known = self.keys.get(key_id)
        name = known.name if known else str(details.get("name") or key_id)
        prefix = known.prefix if known else f"ck_{key_id[:4]}"
        text = _fill(_l("“%(name)s” (%(prefix)s…)"), {"name": name, "prefix": prefix})
        if known and known.owner_id == self.reader.id:
            return Markup('<a href="{}">{}</a>').format(
                url_for("console.key_page", key_id=key_id), text
            )
        if known and self.reader.is_admin:
            return Markup('<a href="{}">{}</a>').format(self.user_page(known.owner_id), text)
        return text

    def user_page(self, user_id: int) -> str:
        """The admin's page of the user (its URL)."""
        if user_id not in self.user_pages:
            self.user_pages[user_id] = url_for("console.admin_user", user_id=user_id)
        return self.user_pages[user_id]


def _fill(message: object, values: dict[str, Markup | str]) -> Markup:
    """``message`` (a trusted translation) with ``values`` (escaped unless Markup) put in."""
    # The message is the app's own translation, never user data: safe as markup.
    return Markup(str(message)) % values  # noqa: S704
