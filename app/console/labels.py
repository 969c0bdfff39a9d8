"""The words the console shows for values it stores: roles, statuses, access, audit actions.

Stored values stay English identifiers (the API and the database use them); these are
their names for people, translated like every other string.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

ROLES = {"standard": _l("standard"), "premium": _l("premium"), "admin": _l("admin")}
STATUSES = {
    "all": _l("All"),
    "active": _l("Active"),
    "expired": _l("Expired"),
    "revoked": _l("Revoked"),
}
ACCESS = {"full": _l("Full access"), "read": _l("Read-only")}
SORTS = {"created": _l("Newest first"), "last_used": _l("Recently used first")}
GRACE = {"0": _l("Now"), "1h": _l("In 1 hour"), "24h": _l("In 24 hours"), "7d": _l("In 7 days")}
ACTIONS = {
    "user.created": _l("Account created"),
    "user.signed_in": _l("Signed in"),
    "user.sign_in_failed": _l("Failed sign-in"),
    "user.role_changed": _l("Role changed"),
    "user.deactivated": _l("Account deactivated"),
    "user.reactivated": _l("Account reactivated"),
    "user.sessions_ended": _l("Signed out of other sessions"),
    "user.session_ended": _l("Signed out of a session"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset_requested": _l("Password reset requested"),
    "user.password_reset": _l("Password reset"),
    "user.two_factor_enabled": _l("Second factor turned on"),
    "user.two_factor_disabled": _l("Second factor turned off"),
    "user.recovery_code_used": _l("Recovery code used"),
    "user.recovery_codes_replaced": _l("New recovery codes made"),
    "key.created": _l("Key created"),
    "key.rotated": _l("Key rotated"),
    "key.revoked": _l("Key revoked"),
    "key.new_network": _l("Key used from a new network"),
}


def init_app(app: Flask) -> None:
    """Make the names available to every template."""
    app.jinja_env.globals.update(
        role_names=ROLES,
        status_names=STATUSES,
        access_names=ACCESS,
        sort_names=SORTS,
        grace_names=GRACE,
        action_names=ACTIONS,
    )
