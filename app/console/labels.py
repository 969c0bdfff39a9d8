"""The words the console shows for stored values: roles, statuses, access, audit actions.

Stored values are the enums' (the API and the database use them); these are their names
for people, translated like every other string. A value without a name fails at import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from flask.sansio.app import App

from app.audit.actions import AuditAction
from app.console.forms import GRACE_PERIODS
from app.i18n.catalog import lazy_gettext as _l
from app.keys.access import KeyAccess
from app.keys.key_list import ANY_STATUS, KeyOrder
from app.keys.permissions import Level, Resource
from app.keys.status import KeyStatus
from app.roles import Role

V = TypeVar("V", bound=str)


def labelled(values: Iterable[V], labels: Mapping[V, object]) -> dict[V, object]:
    """``labels`` in the order of ``values``; a ``LookupError`` unless each has exactly one."""
    values = list(values)
    missing = [value for value in values if value not in labels]
    unknown = [label for label in labels if label not in values]
    if missing or unknown:
        raise LookupError(f"console labels: missing {missing}, unknown {unknown}")
    return {value: labels[value] for value in values}


ROLES = labelled(
    Role, {Role.STANDARD: _l("standard"), Role.PREMIUM: _l("premium"), Role.ADMIN: _l("admin")}
)
STATUSES: dict[str, object] = {
    ANY_STATUS: _l("All"),
    **labelled(
        KeyStatus,
        {
            KeyStatus.ACTIVE: _l("Active"),
            KeyStatus.DISABLED: _l("Disabled"),
            KeyStatus.EXPIRED: _l("Expired"),
            KeyStatus.REVOKED: _l("Revoked"),
        },
    ),
}
ACCESS = labelled(
    KeyAccess,
    {
        KeyAccess.FULL: _l("Full access"),
        KeyAccess.READ: _l("Read-only"),
        KeyAccess.RESTRICTED: _l("Restricted"),
    },
)
RESOURCES = labelled(
    Resource,
    {
        Resource.ENDPOINT: _l("Endpoint (/api/endpoint)"),
        Resource.KEYS: _l("Keys (/api/keys)"),
        Resource.AUDIT: _l("Audit log (/api/audit)"),
        Resource.ADMIN: _l("Admin (/api/admin)"),
    },
)
LEVELS = labelled(
    Level,
    {Level.NONE: _l("No access"), Level.READ: _l("Read"), Level.WRITE: _l("Read and write")},
)
SORTS = labelled(
    KeyOrder,
    {
        KeyOrder.CREATED: _l("Newest first"),
        KeyOrder.LAST_USED: _l("Recently used first"),
        KeyOrder.NAME: _l("Name, A to Z"),
        KeyOrder.EXPIRES: _l("Expiring soonest"),
    },
)
GRACE = labelled(
    GRACE_PERIODS,
    {"0": _l("Now"), "1h": _l("In 1 hour"), "24h": _l("In 24 hours"), "7d": _l("In 7 days")},
)
ACTIONS = labelled(
    AuditAction,
    {
        AuditAction.USER_CREATED: _l("Account created"),
        AuditAction.USER_SIGNED_IN: _l("Signed in"),
        AuditAction.USER_SIGN_IN_FAILED: _l("Failed sign-in"),
        AuditAction.USER_ROLE_CHANGED: _l("Role changed"),
        AuditAction.USER_DEACTIVATED: _l("Account deactivated"),
        AuditAction.USER_REACTIVATED: _l("Account reactivated"),
        AuditAction.USER_SESSIONS_ENDED: _l("Signed out of other sessions"),
        AuditAction.USER_SESSION_ENDED: _l("Signed out of a session"),
        AuditAction.USER_PASSWORD_CHANGED: _l("Password changed"),
        AuditAction.USER_PASSWORD_RESET_REQUESTED: _l("Password reset requested"),
        AuditAction.USER_PASSWORD_RESET: _l("Password reset"),
        AuditAction.USER_TWO_FACTOR_ENABLED: _l("Second factor turned on"),
        AuditAction.USER_TWO_FACTOR_DISABLED: _l("Second factor turned off"),
        AuditAction.USER_RECOVERY_CODE_USED: _l("Recovery code used"),
        AuditAction.USER_RECOVERY_CODES_REPLACED: _l("New recovery codes made"),
        AuditAction.KEY_CREATED: _l("Key created"),
        AuditAction.KEY_ROTATED: _l("Key rotated"),
        AuditAction.KEY_REVOKED: _l("Key revoked"),
        AuditAction.KEY_NEW_NETWORK: _l("Key used from a new network"),
        AuditAction.KEY_DISABLED: _l("Key disabled"),
        AuditAction.KEY_ENABLED: _l("Key enabled"),
        AuditAction.KEY_EDITED: _l("Key edited"),
        AuditAction.KEY_ADDRESS_REFUSED: _l("Key refused from an address it may not be used from"),
        AuditAction.KEY_LEAKED: _l("Key found in public"),
    },
)


def init_app(app: App) -> None:
    """Make the names available to every template."""
    app.jinja_env.globals.update(
        role_names=ROLES,
        status_names=STATUSES,
        access_names=ACCESS,
        resource_names=RESOURCES,
        level_names=LEVELS,
        sort_names=SORTS,
        grace_names=GRACE,
        action_names=ACTIONS,
    )
