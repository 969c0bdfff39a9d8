"""The console's form fields, read and checked: expiry, grace, and what narrows a key."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from app.keys.access import KeyAccess
from app.keys.allowed_networks import network_list
from app.keys.changes import KeyEdit
from app.keys.permissions import Resource, levels
from app.keys.rules import InvalidDuration, InvalidExpiry
from app.keys.scope import KeyScope

if TYPE_CHECKING:
    from app.models import ApiKey

EXPIRY_DAYS = ("7", "30", "90", "365")
GRACE_PERIODS = {"0": timedelta(0), "1h": timedelta(hours=1), "24h": timedelta(hours=24),
                 "7d": timedelta(days=7)}  # fmt: skip


def expiry_from(form: Mapping[str, str], now: datetime) -> datetime | None:
    """When a key made with this form expires: None (never), in N days, or on a date.

    A custom date means the key stops working at the start of that day (00:00 UTC).
    """
    choice = form.get("expires_in", "never")
    if choice == "never":
        return None
    if choice in EXPIRY_DAYS:
        return now + timedelta(days=int(choice))
    if choice == "custom":
        try:
            day = date.fromisoformat(form.get("expires_at", "").strip())
        except ValueError:
            raise InvalidExpiry(
                _l("Enter the expiry date as YYYY-MM-DD, such as 2027-06-30.")
            ) from None
        return datetime.combine(day, time(0), tzinfo=UTC)
    raise InvalidExpiry(_l("Choose when the key expires."))


def grace_from(form: Mapping[str, str]) -> timedelta:
    """The grace period a rotation gives the old key."""
    try:
        return GRACE_PERIODS[form.get("grace", "")]
    except KeyError:
        raise InvalidDuration(_l("Choose how long the old key keeps working.")) from None


def permissions_from(form: Mapping[str, str]) -> dict[str, object] | None:
    """The per-resource selects (``permission_keys`` and the like), for a restricted key."""
    if form.get("access") != KeyAccess.RESTRICTED:
        return None
    return {resource: form.get(f"permission_{resource}", "none") for resource in Resource}


def scope_from(form: Mapping[str, str]) -> KeyScope:
    """What narrows a key, from the create form (checked by the key domain)."""
    return KeyScope(
        description=form.get("description", ""),
        permissions=permissions_from(form),
        allowed_networks=form.get("allowed_networks", ""),
        rate_limit=form.get("rate_limit", ""),
    )


def edit_from(form: Mapping[str, str]) -> KeyEdit:
    """The edit form of a key's page: every field it shows, as it was sent."""
    return KeyEdit(
        name=form.get("name", ""),
        description=form.get("description", ""),
        access=form.get("access") or None,
        permissions=permissions_from(form),
        allowed_networks=form.get("allowed_networks", ""),
        rate_limit=form.get("rate_limit", ""),
    )


def values_of(key: ApiKey) -> dict[str, str]:
    """The key as the form fields show it (the edit form, or a replacement's create form)."""
    return {
        "name": key.name,
        "description": key.description or "",
        "access": key.access,
        "allowed_networks": "\n".join(network_list(key.allowed_networks)),
        "rate_limit": key.rate_limit or "",
        **{
            f"permission_{resource}": level
            for resource, level in levels(key.access, key.permissions).items()
        },
    }


def replacement_form(key: ApiKey) -> dict[str, str]:
    """The create form filled in for a key like ``key``: a replacement for it.

    Its settings, and an expiry about as long as it had (the nearest choice), so a
    replacement for a key that expired does not quietly last forever.
    """
    form = values_of(key)
    if key.expires_at is not None:
        days = (key.expires_at - key.created_at) / timedelta(days=1)
        form["expires_in"] = min(EXPIRY_DAYS, key=lambda choice: abs(int(choice) - days))
    return form
