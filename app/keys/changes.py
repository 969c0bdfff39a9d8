"""Reversible changes to a key: disable, enable, and edit what narrows it.

Like a revocation, each is announced before it commits (app/keys/signals.py), so the very
next request on any worker sees it, and recorded with its audit event in one transaction.
Widening a key's permissions is refused: that needs a new key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app import audit
from app.audit import Actor
from app.audit.actions import AuditAction
from app.database import write_transaction
from app.keys import signals
from app.keys.access import KeyAccess
from app.keys.allowed_networks import network_list
from app.keys.format import is_key_id
from app.keys.permissions import InvalidPermissions, is_narrowing
from app.keys.rules import KeyRefused, check_access, clean_key_name
from app.keys.scope import KeyScope
from app.keys.status import KeyStatus
from app.models import ApiKey
from app.models.columns import utcnow
from app.ratelimit import rate_limit_for


class CannotEnable(KeyRefused):
    """The key is revoked or expired: only an active or disabled key can be enabled."""


class CannotEdit(KeyRefused):
    """The key is revoked: nothing about it changes any more."""


@dataclass(frozen=True)
class KeyEdit:
    """What to change; None leaves a field as it is, "" (or []) clears it."""

    name: str | None = None
    description: str | None = None
    access: str | None = None
    permissions: str | dict[str, object] | None = None
    allowed_networks: list[str] | str | None = None
    rate_limit: str | None = None


def disable_key(key_id: str, *, owner_id: int | None, actor: Actor | None = None) -> ApiKey | None:
    """Disable a key until it is enabled again; return it, or None when there is no such key.

    Disabling a disabled or revoked key changes nothing and records nothing.
    """
    statement = (
        update(ApiKey)
        .where(ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None), ApiKey.disabled_at.is_(None))
        .values(disabled_at=utcnow())
    )
    return _switch(key_id, owner_id, statement, AuditAction.KEY_DISABLED, actor)


def enable_key(key_id: str, *, owner_id: int | None, actor: Actor | None = None) -> ApiKey | None:
    """Enable a disabled key; return it, or None when there is no such key.

    Raises ``CannotEnable`` for a revoked or expired key. Enabling an active key changes
    nothing.
    """
    from app.keys.service import get_key  # service imports this module

    key = get_key(key_id, owner_id=owner_id)
    if key is None:
        return None
    _check_enable(key)
    now = utcnow()
    statement = (
        update(ApiKey)
        .where(ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None))
        .where(ApiKey.disabled_at.is_not(None))
        .where((ApiKey.expires_at.is_(None)) | (ApiKey.expires_at > now))
        .values(disabled_at=None)
    )
    key = _switch(key_id, owner_id, statement, AuditAction.KEY_ENABLED, actor)
    if key is not None and key.status in (KeyStatus.REVOKED, KeyStatus.EXPIRED):
        _check_enable(key)  # revoked or expired in between: say so, not "enabled"
    return key


def _check_enable(key: ApiKey) -> None:
    status = key.status
    if status == KeyStatus.REVOKED:
        raise CannotEnable(_l("A revoked key cannot be enabled. Create a new key instead."))
    if status == KeyStatus.EXPIRED:
        raise CannotEnable(_l("An expired key cannot be enabled. Create a new key instead."))


def _switch(
    key_id: str,
    owner_id: int | None,
    statement: Any,
    action: AuditAction,
    actor: Actor | None,
) -> ApiKey | None:
    from app.keys.service import get_key

    if not is_key_id(key_id):
        return None
    statement = statement.returning(ApiKey.user_id, ApiKey.name)
    if owner_id is not None:
        statement = statement.where(ApiKey.user_id == owner_id)
    with write_transaction() as session:
        changed = session.execute(statement).first()
        if changed is not None:
            signals.send_key_changing(key_id)
            audit.record(
                action,
                actor or Actor.system(),
                target=f"key:{key_id}",
                subject_user_id=changed.user_id,
                details={"name": changed.name},
            )
    if changed is not None:
        signals.send_key_changed(key_id)
    return get_key(key_id, owner_id=owner_id)


def edit_key(
    key_id: str, edit: KeyEdit, *, owner_id: int | None, actor: Actor | None = None
) -> ApiKey | None:
    """Change a key's name, description, networks, rate limit, or narrow its permissions.

    Returns the key, or None when there is no such key. Raises a ``KeyRefused`` for bad
    input, a widening of permissions, or a revoked key; then nothing changes.
    """
    if not is_key_id(key_id):
        return None
    with write_transaction() as session:
        query = select(ApiKey).where(ApiKey.key_id == key_id)
        if owner_id is not None:
            query = query.where(ApiKey.user_id == owner_id)
        query = query.with_for_update().execution_options(populate_existing=True)
        key = session.scalar(query)
        if key is None:
            return None
        if key.revoked_at is not None:
            raise CannotEdit(_l("A revoked key cannot be edited."))
        before = _editable(key)
        _apply(key, edit)
        after = _editable(key)
        changed = {
            field: {"from": before[field], "to": after[field]}
            for field in before
            if before[field] != after[field]
        }
        if changed:
            signals.send_key_changing(key_id)
            audit.record(
                AuditAction.KEY_EDITED,
                actor or Actor.system(),
                target=f"key:{key_id}",
                subject_user_id=key.user_id,
                details={"name": key.name, "changed": changed},
            )
    if changed:
        signals.send_key_changed(key_id)
    return key


def _apply(key: ApiKey, edit: KeyEdit) -> None:
    """Check ``edit`` against ``key`` and write it onto the row (or raise, writing nothing)."""
    name = key.name if edit.name is None else clean_key_name(edit.name)
    access = key.access if edit.access is None else check_access(edit.access)
    current = KeyScope.of(key)
    if edit.permissions is not None:
        permissions: object = edit.permissions
    elif access == key.access:
        permissions = current.permissions
    else:
        permissions = None
    scope = KeyScope(
        description=current.description if edit.description is None else edit.description,
        permissions=permissions,  # type: ignore[arg-type]
        allowed_networks=(
            current.allowed_networks if edit.allowed_networks is None else edit.allowed_networks
        ),
        rate_limit=current.rate_limit if edit.rate_limit is None else edit.rate_limit,
    ).cleaned(access, rate_limit_for(key.user.role))
    new_permissions = scope.permissions if isinstance(scope.permissions, str) else None
    if not is_narrowing(key.access, key.permissions, access, new_permissions):
        raise InvalidPermissions(
            _l("A key's permissions can only be narrowed: widening them needs a new key.")
        )
    key.name = name
    key.access = KeyAccess(access)
    scope.apply(key)


def _editable(key: ApiKey) -> dict[str, Any]:
    return {
        "name": key.name,
        "description": key.description,
        "access": str(key.access),
        "permissions": key.permissions,
        "allowed_networks": network_list(key.allowed_networks),
        "rate_limit": key.rate_limit,
    }
