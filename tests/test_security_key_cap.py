"""The key cap counts every key that still works; making keys is rate limited per user.

Keys in a rotation's grace count toward the cap, so a rotation that keeps the old key
working is held to it; creates and rotations in the console share a budget per user.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.keys import service
from app.models import ApiKey

from support.web import csrf_token

CAP = 3


@pytest.fixture
def config_overrides():
    """A small cap, and a small budget of keys made, so both are quick to reach."""
    return {"MAX_ACTIVE_KEYS_PER_USER": CAP, "KEY_CREATE_RATE_LIMIT": "5 per hour"}


@pytest.fixture
def ada(client, auth, factory):
    user = factory.user("ada@example.com")
    auth.login(user)
    return user


def _create(client, name: str):
    token = csrf_token(client, "/en/api-keys")
    return client.post("/en/api-keys", data={"name": name, "csrf_token": token})


def _rotate(client, key_id: str, grace: str):
    token = csrf_token(client, f"/en/api-keys/{key_id}")
    return client.post(f"/en/api-keys/{key_id}/rotate", data={"grace": grace, "csrf_token": token})


def _in_use(app, user_id: int) -> int:
    with app.app_context():
        return service.active_key_count(user_id)


def _newest_key_id(app, user_id: int) -> str:
    with app.app_context():
        return db.session.scalar(
            select(ApiKey.key_id).where(ApiKey.user_id == user_id).order_by(ApiKey.id.desc())
        )


def test_rotating_with_a_grace_at_the_cap_is_refused(app, client, factory, ada):
    key_ids = [factory.key(ada, f"key {n}", max_active=CAP)[0] for n in range(CAP)]
    refused = _rotate(client, key_ids[0], "7d")
    assert refused.status_code == 422
    assert "You have 3 keys in use" in refused.get_data(as_text=True)
    assert _in_use(app, ada.id) == CAP
    # Without a grace the old key stops as the new one starts: still three in use.
    assert _rotate(client, key_ids[0], "0").status_code == 200
    assert _in_use(app, ada.id) == CAP


def test_rotations_with_a_grace_never_pass_the_cap(app, client, factory, ada):
    key_id, _ = factory.key(ada, "only")
    statuses = []
    for _ in range(5):
        response = _rotate(client, key_id, "7d")
        statuses.append(response.status_code)
        if response.status_code == 200:
            key_id = _newest_key_id(app, ada.id)
    assert statuses == [200, 200, 422, 422, 422]
    assert _in_use(app, ada.id) == CAP


def test_the_command_line_rotation_keeps_to_the_cap_too(app, runner, factory, ada):
    key_ids = [factory.key(ada, f"key {n}", max_active=CAP)[0] for n in range(CAP)]
    refused = runner.invoke(args=["keys", "rotate", key_ids[0], "--grace", "24h"])
    assert refused.exit_code != 0
    assert "3 keys in use" in refused.output
    assert runner.invoke(args=["keys", "rotate", key_ids[0], "--grace", "0s"]).exit_code == 0
    assert _in_use(app, ada.id) == CAP


def test_a_create_at_the_cap_runs_no_bcrypt(app, client, factory, ada, monkeypatch):
    from app.keys import prepared

    for n in range(CAP):
        factory.key(ada, f"key {n}", max_active=CAP)
    hashed = []
    real = prepared.hash_secret
    monkeypatch.setattr(prepared, "hash_secret", lambda *a: hashed.append(1) or real(*a))
    assert _create(client, "one too many").status_code == 422
    assert hashed == []


def test_making_keys_is_rate_limited_per_user(app, client, auth, factory, ada):
    app.config["MAX_ACTIVE_KEYS_PER_USER"] = 100
    statuses = [_create(client, f"key {n}").status_code for n in range(5)]
    assert statuses == [200] * 5
    refused = _create(client, "one more")
    assert refused.status_code == 429
    assert "too many keys in a short time" in refused.get_data(as_text=True)
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert _in_use(app, ada.id) == 5
    # A rotation makes a key too, and counts against the same budget.
    key_id = _newest_key_id(app, ada.id)
    rotation = _rotate(client, key_id, "0")
    assert rotation.status_code == 429
    assert "too many keys in a short time" in rotation.get_data(as_text=True)

    # Another user has a budget of their own; the command line is not counted.
    auth.logout()
    auth.login(factory.user("bob@example.com"))
    assert _create(client, "bob's").status_code == 200
    made = app.test_cli_runner().invoke(args=["keys", "create", ada.email, "--name", "cli"])
    assert made.exit_code == 0, made.output
