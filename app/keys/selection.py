"""Several of a user's keys at once: revoke them, or narrow them (read-only, no admin).

Each key goes through the single-key operation (``revoke_key``, ``edit_key``), so every one
gets the same audit event, signals and refusals as when it is changed alone. A selection is
checked whole first: if any key id is not the owner's, nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit import Actor
from app.extensions import db
from app.keys.access import KeyAccess
from app.keys.changes import CannotEdit, KeyEdit, edit_key
from app.keys.format import is_key_id
from app.keys.permissions import RANK, Level, Resource, levels, permissions_text
from app.keys.rules import KeyRefused
from app.models import ApiKey

# More than a user can have active (MAX_ACTIVE_KEYS_PER_USER's ceiling): a longer list is
# not a person's selection.
MAX_SELECTED = 1000


class SelectionAction(StrEnum):
    """What is done to every selected key."""

    REVOKE = "revoke"
    READ_ONLY = "read_only"  # access becomes read: GET and HEAD only
    NO_ADMIN = "no_admin"  # restricted, admin permission none, the rest as it was


class NotYourKeys(KeyRefused):
    """A selected key id is not one of the owner's keys (or not a key id at all)."""


class EmptySelection(KeyRefused):
    """No key was selected."""


@dataclass(frozen=True)
class SelectionResult:
    """How many keys changed, and how many were left as they were (already so, or revoked)."""

    changed: int
    unchanged: int


def own_keys(key_ids: Iterable[str], owner_id: int) -> list[ApiKey]:
    """The owner's keys with these ids, in the order given; raises if any is not theirs."""
    wanted = list(dict.fromkeys(key_ids))  # once each, in order
    if not wanted:
        raise EmptySelection(_l("Select at least one key."))
    if len(wanted) > MAX_SELECTED or not all(is_key_id(key_id) for key_id in wanted):
        raise NotYourKeys(_l("Some of the selected keys are not yours. Nothing was changed."))
    query = select(ApiKey).where(ApiKey.user_id == owner_id, ApiKey.key_id.in_(wanted))
    found = {key.key_id: key for key in db.session.scalars(query)}
    if len(found) != len(wanted):
        raise NotYourKeys(_l("Some of the selected keys are not yours. Nothing was changed."))
    return [found[key_id] for key_id in wanted]


def narrowed(key: ApiKey, action: SelectionAction) -> KeyEdit | None:
    """The edit that narrows ``key`` as ``action`` says, or None when it already is so."""
    current = levels(key.access, key.permissions)
    if action == SelectionAction.READ_ONLY:
        if key.access == KeyAccess.READ:
            return None
        if key.access == KeyAccess.RESTRICTED:
            # Each resource at read at most: no more than the key allowed before.
            capped = {resource: min(level, Level.READ, key=RANK.__getitem__)
                      for resource, level in current.items()}  # fmt: skip
            if capped == current:
                return None
            return KeyEdit(access=KeyAccess.RESTRICTED, permissions=permissions_text(capped))
        return KeyEdit(access=KeyAccess.READ)
    if current[Resource.ADMIN] == Level.NONE:
        return None
    without_admin = {**current, Resource.ADMIN: Level.NONE}
    return KeyEdit(access=KeyAccess.RESTRICTED, permissions=permissions_text(without_admin))


def apply_to_selection(
    key_ids: Iterable[str], action: SelectionAction, *, owner_id: int, actor: Actor
) -> SelectionResult:
    """Revoke or narrow the owner's keys ``key_ids``, each by the single-key operation.

    Raises ``EmptySelection`` or ``NotYourKeys`` before any change; revoked keys are left
    as they are.
    """
    from app.keys.service import revoke_key  # service imports this package's modules

    changed = unchanged = 0
    for key in own_keys(key_ids, owner_id):
        if key.revoked_at is not None:
            unchanged += 1
            continue
        if action == SelectionAction.REVOKE:
            revoke_key(key.key_id, owner_id=owner_id, actor=actor)
            changed += 1
            continue
        edit = narrowed(key, action)
        if edit is None:
            unchanged += 1
            continue
        try:
            edit_key(key.key_id, edit, owner_id=owner_id, actor=actor)
        except CannotEdit:  # revoked meanwhile: nothing left to narrow
            unchanged += 1
            continue
        changed += 1
    return SelectionResult(changed, unchanged)
