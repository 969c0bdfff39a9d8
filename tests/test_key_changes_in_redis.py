"""A change the API must see is made only once Redis has its tombstone, or not at all.

The app runs on a redis-server of the test's own behind a TCP proxy, so a test can cut the
proxy (Redis unreachable) or pause the server (SIGSTOP: connections open, no answers).
"""

from __future__ import annotations

import signal
from contextlib import contextmanager

import pytest

from app.api.gate import records as records_module
from app.keys import signals
from app.ratelimit import counter as counter_module

from support.web import csrf_token

pytestmark = pytest.mark.redis


@pytest.fixture
def proxy(own_redis, tcp_proxy):
    """A proxy in front of the test's own Redis."""
    return tcp_proxy(("127.0.0.1", own_redis.port))


@pytest.fixture
def config_overrides(proxy, monkeypatch):
    """The app on the test's own Redis, through the proxy; Redis asked again at once."""
    monkeypatch.setattr(counter_module, "RETRY_STORAGE_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(records_module, "CHANGE_WAIT_SECONDS", 0.5)
    return {"RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{proxy.port}/0"}


@contextmanager
def redis_away(how: str, proxy, own_redis):
    """Redis unreachable (the proxy cut) or paused (SIGSTOP), then back."""
    if how == "unreachable":
        proxy.cut()
    else:
        own_redis.process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        if how == "unreachable":
            proxy.start()
        else:
            own_redis.process.send_signal(signal.SIGCONT)


def me(client, key):
    return client.get("/api/me", headers={"X-API-Key": key})


def key_status(app, key_id: str) -> str:
    from app.keys import service

    with app.app_context():
        return service.get_key(key_id, owner_id=None).status


@pytest.mark.parametrize("how", ["unreachable", "paused"])
def test_a_revoke_while_redis_is_away_is_refused_and_changes_nothing(
    app, client, factory, proxy, own_redis, how
):
    user = factory.user()
    key_id, key = factory.key(user, "Deploy bot")
    _, manager = factory.key(user, "Manager")
    assert me(client, key).status_code == 200  # its record is cached in Redis now

    with redis_away(how, proxy, own_redis):
        refused = client.post(f"/api/keys/{key_id}/revoke", headers={"X-API-Key": manager})
        assert refused.status_code == 503
        assert refused.json["error"]["code"] == "unavailable"
    assert key_status(app, key_id) == "active"  # nothing was changed...
    assert me(client, key).status_code == 200  # ...so the key still works, as the answer said

    revoked = client.post(f"/api/keys/{key_id}/revoke", headers={"X-API-Key": manager})
    assert revoked.status_code == 200
    assert me(client, key).status_code == 401


@pytest.mark.parametrize(
    "command",
    [["keys", "revoke", "{key_id}"], ["users", "deactivate", "{email}"]],
    ids=["revoke", "deactivate"],
)
def test_the_cli_says_so_and_changes_nothing_while_redis_is_away(
    app, client, runner, factory, proxy, own_redis, command
):
    user = factory.user()
    key_id, key = factory.key(user)
    assert me(client, key).status_code == 200
    args = [part.format(key_id=key_id, email=user.email) for part in command]
    with redis_away("unreachable", proxy, own_redis):
        result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "Redis did not answer" in result.output
    assert "nothing was changed" in result.output
    assert me(client, key).status_code == 200
    assert runner.invoke(args=args).exit_code == 0
    assert me(client, key).status_code == 401


def test_an_admin_deactivation_while_redis_is_paused_is_refused(
    app, client, factory, proxy, own_redis
):
    _, admin_key = factory.key(factory.user(role="admin"))
    user = factory.user()
    _, key = factory.key(user)
    assert me(client, key).status_code == 200
    with redis_away("paused", proxy, own_redis):
        refused = client.patch(
            f"/api/admin/users/{user.id}", headers={"X-API-Key": admin_key}, json={"active": False}
        )
    assert refused.status_code == 503
    assert me(client, key).status_code == 200
    done = client.patch(
        f"/api/admin/users/{user.id}", headers={"X-API-Key": admin_key}, json={"active": False}
    )
    assert done.status_code == 200
    assert me(client, key).status_code == 401


def test_a_record_cached_while_a_change_was_committing_is_dropped_after_it(
    app, client, factory, own_redis
):
    key_id, key = factory.key(factory.user())
    assert me(client, key).status_code == 200

    def meanwhile(_sender, key_id):
        # Redis restarts after the tombstone, before the commit: the tombstone is lost, and
        # a request reads the row not yet committed and caches it again.
        redis = own_redis.client()
        try:
            redis.flushall()
        finally:
            redis.close()
        assert me(client, key).status_code == 200

    signals.key_changing.connect(meanwhile, app)
    factory.revoke(key_id)
    assert me(client, key).status_code == 401  # the commit dropped that record


def test_the_console_says_so_and_the_key_stays_as_it_was(client, auth, factory, proxy, own_redis):
    user = factory.user()
    key_id, key = factory.key(user, "Mobile App")
    auth.login(user)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/en/api-keys")}
    with redis_away("unreachable", proxy, own_redis):
        refused = client.post(f"/en/api-keys/{key_id}/revoke", headers=headers)
    assert refused.status_code == 503
    assert refused.headers["HX-Retarget"] == "#messages"
    assert "Temporarily unavailable" in refused.get_data(as_text=True)
    assert me(client, key).status_code == 200
