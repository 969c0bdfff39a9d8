"""POST /api-keys/selection with bad input: a clear refusal, nothing changed, never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.actions import AuditAction
from app.extensions import db
from app.keys.selection import MAX_SELECTED
from app.models import ApiKey, AuditEvent

from support.web import csrf_token

SELECTION = "/en/api-keys/selection"


@pytest.fixture
def signed_in(client, auth, factory):
    user = factory.user("ada@example.com")
    auth.login(user)
    return user


def post(client, **data):
    data.setdefault("csrf_token", csrf_token(client, "/en/api-keys"))
    return client.post(SELECTION, data=data)


def revoked(app, key_id):
    with app.app_context():
        key = db.session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
        return key.revoked_at is not None


@pytest.mark.parametrize(
    "keys",
    [["not-a-key-id"], ["ck_" + "x" * 400], ["ck_AAAAAAAAAAAA"] * (MAX_SELECTED + 1)],
    ids=["not-a-key-id", "too-long", "too-many"],
)
def test_a_selection_that_is_not_the_users_keys_is_refused_whole(
    app, client, factory, signed_in, keys
):
    own_id, _ = factory.key(signed_in, "Mine")
    answer = post(client, action="revoke", confirmed="1", key=[own_id, *keys])
    assert answer.status_code == 404
    assert "Some of the selected keys are not yours. Nothing was changed." in answer.text
    assert not revoked(app, own_id)


def test_another_users_key_id_is_refused_and_neither_key_changes(app, client, factory, signed_in):
    own_id, _ = factory.key(signed_in, "Mine")
    other_id, _ = factory.key(factory.user(), "Theirs")
    answer = post(client, action="read_only", confirmed="1", key=[own_id, other_id])
    assert answer.status_code == 404
    with app.app_context():
        keys = db.session.scalars(select(ApiKey).where(ApiKey.key_id.in_([own_id, other_id])))
        assert {key.access for key in keys} == {"full"}


def test_an_unknown_action_or_a_missing_csrf_token_is_a_400(client, factory, signed_in):
    own_id, _ = factory.key(signed_in, "Mine")
    assert post(client, action="delete", key=own_id).status_code == 400
    assert post(client, action="no_admin", key=own_id).status_code == 400  # not an admin
    assert post(client, action="revoke", key=own_id, csrf_token="").status_code == 400


def test_a_confirmed_revoke_records_one_event_per_key(app, client, factory, signed_in):
    ids = [factory.key(signed_in, f"Key {number}")[0] for number in range(3)]
    answer = post(client, action="revoke", confirmed="1", key=ids)
    assert answer.status_code == 303
    with app.app_context():
        targets = db.session.scalars(
            select(AuditEvent.target).where(AuditEvent.action == AuditAction.KEY_REVOKED)
        )
        assert sorted(targets) == sorted(f"key:{key_id}" for key_id in ids)
