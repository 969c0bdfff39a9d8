"""Roles, key access and status, audit actions: each declared once, the rest derived from it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from app.audit.actions import AuditAction
from app.config import DEFAULTS
from app.console import labels
from app.extensions import db
from app.keys.access import KeyAccess
from app.keys.status import KeyStatus
from app.models import ApiKey, User
from app.roles import Role


def test_roles_rank_in_the_order_they_are_declared_not_as_text():
    assert [role.rank for role in Role] == list(range(len(Role)))
    assert Role.PREMIUM.outranks(Role.STANDARD)
    assert Role.ADMIN.outranks(Role.PREMIUM)
    assert not Role.STANDARD.outranks(Role.STANDARD)
    assert Role.PREMIUM < Role.STANDARD  # as text: why a rank is needed at all


def test_every_role_has_a_default_budget():
    assert set(DEFAULTS["ROLE_RATE_LIMITS"]) == set(Role)


@pytest.mark.parametrize(
    ("names", "values"),
    [
        (labels.ROLES, list(Role)),
        (labels.ACCESS, list(KeyAccess)),
        (labels.STATUSES, ["all", *KeyStatus]),
        (labels.ACTIONS, list(AuditAction)),
    ],
)
def test_the_console_names_every_value_in_declaration_order(names, values):
    assert list(names) == values


def test_a_value_without_a_console_name_fails_at_import():
    with pytest.raises(LookupError, match="missing"):
        labels.labelled(Role, {Role.STANDARD: "standard", Role.PREMIUM: "premium"})
    with pytest.raises(LookupError, match="unknown"):
        labels.labelled(KeyAccess, {"full": "Full", "read": "Read", "write": "Write"})


def test_stored_values_come_back_as_members_and_leave_as_plain_text(app, factory, client):
    user = factory.user(role=Role.PREMIUM)
    key_id, key = factory.key(user, access=KeyAccess.READ)
    with app.app_context():
        row = db.session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
        assert row.access is KeyAccess.READ
        assert row.status is KeyStatus.ACTIVE
        assert row.user.role is Role.PREMIUM
        assert json.dumps(row.to_dict()["access"]) == '"read"'
    listed = client.get("/api/keys", headers={"X-API-Key": key}).json["keys"][0]
    assert (listed["access"], listed["status"]) == ("read", "active")
    assert client.get("/api/me", headers={"X-API-Key": key}).json["role"] == "premium"


@pytest.mark.parametrize(("column", "value"), [("role", "wizard"), ("access", "write")])
def test_the_database_layer_refuses_a_value_that_is_not_declared(app, factory, column, value):
    user = factory.user()
    key_id, _ = factory.key(user)
    with app.app_context():
        row = db.session.get(User, user.id)
        if column == "access":
            row = db.session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
        setattr(row, column, value)
        with pytest.raises(StatementError, match=value):
            db.session.flush()
        db.session.rollback()
