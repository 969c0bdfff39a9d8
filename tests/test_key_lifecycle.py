"""Keys that expire, rotate with a grace period, and are read-only; the role-raise notice."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.keys import key_list, service, verification
from app.keys.format import checksum, generate_key
from app.models import ApiKey, api_key
from app.models.columns import utcnow


def run(runner, *args):
    return runner.invoke(args=list(args))


def me(client, key, method="GET"):
    return client.open("/api/me" if method == "GET" else "/api/endpoint", method=method,
                       headers={"X-API-Key": key})  # fmt: skip


@pytest.fixture
def later(monkeypatch):
    """Move the clock of everything that tells whether a key expired: ``later(seconds)``."""

    def move(seconds: float) -> None:
        moment = utcnow() + timedelta(seconds=seconds)
        for module in (verification, api_key, key_list, service):
            monkeypatch.setattr(module, "utcnow", lambda: moment)

    return move


@pytest.fixture
def ada(factory):
    return factory.user("ada@example.com")


def test_a_key_made_to_expire_in_5s_gets_expired_api_key_after(client, runner, ada, later):
    made = run(runner, "keys", "create", ada.email, "--name", "Short", "--expires-in", "5s")
    assert made.exit_code == 0, made.output
    key = made.stdout.splitlines()[-1]
    assert me(client, key).status_code == 200
    later(6)
    refused = me(client, key)
    assert refused.status_code == 401
    assert refused.json["error"] == {"code": "expired_api_key", "message": "API key expired"}
    assert refused.headers["WWW-Authenticate"] == 'ApiKey header="X-API-Key"'
    listed = run(runner, "keys", "list", ada.email).stdout
    assert "\texpired\t" in listed


def test_expires_in_counts_from_the_keys_creation_not_from_before_its_bcrypt(app, runner, ada):
    made = run(runner, "keys", "create", ada.email, "--name", "Short", "--expires-in", "5s")
    with app.app_context():
        key = db.session.scalar(select(ApiKey).where(ApiKey.name == "Short"))
    assert made.exit_code == 0 and key.expires_at - key.created_at >= timedelta(seconds=5)


def test_expired_shows_in_the_keys_json(client, factory, ada, later):
    _, key = factory.key(ada)
    factory.key(ada, "Short", expires_in=timedelta(seconds=5))
    keys = client.get("/api/keys", headers={"X-API-Key": key}).json["keys"]
    assert keys[0]["status"] == "active" and keys[0]["expires_at"] is not None
    later(6)
    keys = client.get("/api/keys", headers={"X-API-Key": key}).json["keys"]
    assert keys[0]["status"] == "expired"


def test_expiry_is_never_told_to_someone_without_the_key(client, factory, ada, later):
    key_id, _ = factory.key(ada, "Short", expires_in=timedelta(seconds=5))
    later(6)
    body = f"ck_{key_id}_{generate_key().value[16:-6]}"
    guess = me(client, body + checksum(body))
    assert guess.json["error"]["code"] == "invalid_api_key"


def test_a_read_key_may_get_but_not_post(client, runner, ada):
    made = run(runner, "keys", "create", ada.email, "--name", "Reader", "--access", "read")
    key = made.stdout.splitlines()[-1]
    assert me(client, key).status_code == 200
    assert client.head("/api/me", headers={"X-API-Key": key}).status_code == 200
    posted = client.post("/api/endpoint", headers={"X-API-Key": key}, json={"a": 1})
    assert posted.status_code == 403
    assert posted.json["error"]["code"] == "forbidden"
    assert "read-only" in posted.json["error"]["message"]
    keys = client.get("/api/keys", headers={"X-API-Key": key}).json["keys"]
    assert keys[0]["access"] == "read"


def test_rotation_keeps_both_keys_working_through_the_grace(client, runner, factory, ada, later):
    old_id, old = factory.key(ada, "Deploy", access="read")
    rotated = run(runner, "keys", "rotate", old_id, "--grace", "5s")
    assert rotated.exit_code == 0, rotated.output
    new = rotated.stdout.splitlines()[-1]
    assert new.startswith("ck_") and new != old
    assert me(client, old).status_code == 200
    assert me(client, new).status_code == 200
    keys = {
        key["id"]: key for key in client.get("/api/keys", headers={"X-API-Key": new}).json["keys"]
    }
    new_id = new[3:15]
    assert keys[old_id]["replaced_by"] == new_id
    assert keys[new_id]["name"] == "Deploy" and keys[new_id]["access"] == "read"
    later(6)
    assert me(client, old).json["error"]["code"] == "expired_api_key"
    assert me(client, new).status_code == 200


def test_rotation_with_no_grace_ends_the_old_key_at_once(client, runner, factory, ada):
    old_id, old = factory.key(ada)
    new = run(runner, "keys", "rotate", old_id, "--grace", "0s").stdout.splitlines()[-1]
    assert me(client, old).json["error"]["code"] == "expired_api_key"
    assert me(client, new).status_code == 200


def test_a_rotated_key_keeps_its_lifetime(client, runner, factory, ada):
    old_id, _ = factory.key(ada, "Monthly", expires_in=timedelta(days=30))
    new = run(runner, "keys", "rotate", old_id).stdout.splitlines()[-1]
    keys = client.get("/api/keys", headers={"X-API-Key": new}).json["keys"]
    expires = datetime.fromisoformat(keys[0]["expires_at"])
    assert timedelta(days=29, hours=23) < expires - utcnow() <= timedelta(days=30)


def test_a_grace_never_outlives_the_old_keys_own_expiry(client, runner, factory, ada):
    old_id, old = factory.key(ada, "Soon", expires_in=timedelta(minutes=5))
    run(runner, "keys", "rotate", old_id, "--grace", "7d")
    keys = {
        key["id"]: key for key in client.get("/api/keys", headers={"X-API-Key": old}).json["keys"]
    }
    ends = datetime.fromisoformat(keys[old_id]["expires_at"])
    assert ends - utcnow() <= timedelta(minutes=5)


@pytest.mark.parametrize("state", ["replaced", "revoked", "expired"])
def test_what_cannot_be_rotated_is_refused_in_one_line(runner, factory, ada, state):
    key_id, _ = factory.key(ada)
    if state == "replaced":
        run(runner, "keys", "rotate", key_id)
    elif state == "revoked":
        factory.revoke(key_id)
    else:
        factory.expire(key_id)
    refused = run(runner, "keys", "rotate", key_id)
    assert refused.exit_code == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1
    expected = "already replaced by" if state == "replaced" else f"{state} key cannot be rotated"
    assert expected in lines[0]


@pytest.mark.parametrize("value", ["5x", "0s", "-5s", "5", "", "1.5h"])
def test_a_bad_expires_in_exits_1_with_one_line(runner, ada, value):
    refused = run(runner, "keys", "create", ada.email, "--name", "X", "--expires-in", value)
    assert refused.exit_code == 1
    assert len(refused.stderr.strip().splitlines()) == 1


def test_a_promotion_says_how_many_full_keys_gain_power(runner, client, factory, ada):
    factory.key(ada, "full one")
    factory.key(ada, "full two")
    factory.key(ada, "reader", access="read")
    revoked_id, _ = factory.key(ada, "gone")
    factory.revoke(revoked_id)
    promoted = run(runner, "users", "set-role", ada.email, "admin")
    assert promoted.exit_code == 0
    assert "2 active key(s) of ada@example.com with full access" in promoted.stdout


def test_a_restricted_key_with_an_admin_permission_gains_power_with_a_promotion(
    runner, factory, ada
):
    factory.key(ada, "full one")
    factory.key(ada, "admin reader", access="restricted", permissions="admin=read")
    factory.key(ada, "webhook", access="restricted", permissions="endpoint=write")
    promoted = run(runner, "users", "set-role", ada.email, "admin")
    assert promoted.exit_code == 0
    assert "2 active key(s) of ada@example.com with full access" in promoted.stdout
