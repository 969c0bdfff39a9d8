"""Keys as narrow as their job, through the API: permissions, networks, own limits, disable.

Each test runs on SQLite and PostgreSQL, with the database gate and (``redis``) with the
Redis gate, whose one round trip (admit.lua) makes the same checks.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.audit.actions import AuditAction
from app.extensions import db
from app.keys import service
from app.keys.changes import KeyEdit
from app.models import AuditEvent


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def config_overrides(request):
    """The database gate, then the Redis gate (admit.lua)."""
    if request.param == "redis":
        return {"RATELIMIT_STORAGE_URI": request.getfixturevalue("redis_url")}
    return {}


def call(client, key, path="/api/me", method="GET", address="127.0.0.1"):
    return client.open(
        path, method=method, headers={"X-API-Key": key}, environ_base={"REMOTE_ADDR": address}
    )


@pytest.fixture
def ada(factory):
    return factory.user("ada@example.com")


def test_a_restricted_key_does_what_its_permissions_allow_and_nothing_more(client, factory, ada):
    other_id, _ = factory.key(ada, "Other")
    _, key = factory.key(
        ada, "Webhook", access="restricted", permissions="endpoint=write,keys=read"
    )
    assert call(client, key, "/api/endpoint", "POST").status_code == 200
    assert call(client, key, "/api/keys").status_code == 200
    assert call(client, key, "/api/me").status_code == 200  # always allowed
    revoke = call(client, key, f"/api/keys/{other_id}/revoke", "POST")
    assert revoke.status_code == 403
    assert revoke.json["error"] == {
        "code": "forbidden",
        "message": "This key has no write permission on keys.",
    }
    audit = call(client, key, "/api/audit")
    assert audit.status_code == 403
    assert audit.json["error"]["message"] == "This key has no read permission on audit."
    assert call(client, key, f"/api/keys/{other_id}/usage").status_code == 200


def test_admin_permission_still_needs_the_admin_role(client, factory):
    admin, user = factory.user(role="admin"), factory.user()
    _, admin_key = factory.key(admin, access="restricted", permissions="admin=read")
    _, user_key = factory.key(user, access="restricted", permissions="admin=write")
    assert call(client, admin_key, "/api/admin/users").status_code == 200
    assert (
        call(client, admin_key, "/api/admin/keys/AAAAAAAAAAAA/revoke", "POST").json["error"][
            "message"
        ]
        == "This key has no write permission on admin."
    )
    assert call(client, user_key, "/api/admin/users").status_code == 403


def test_a_keys_json_shows_what_narrows_it(client, factory, ada):
    key_id, key = factory.key(
        ada,
        "CI",
        access="restricted",
        permissions={"keys": "read"},
        description="Deploys from the CI runners.",
        allowed_networks=["127.0.0.0/8", "2001:db8::/32"],
        rate_limit="50 per minute",
    )
    (shown,) = call(client, key, "/api/keys").json["keys"]
    assert shown["id"] == key_id
    assert shown["description"] == "Deploys from the CI runners."
    assert shown["status"] == "active"
    assert shown["access"] == "restricted"
    assert shown["permissions"] == {
        "endpoint": "none",
        "keys": "read",
        "audit": "none",
        "admin": "none",
    }
    assert shown["allowed_networks"] == ["127.0.0.0/8", "2001:db8::/32"]
    assert shown["rate_limit"] == "50 per minute"


def test_a_full_keys_json_has_no_permissions_and_no_networks(client, factory, ada):
    _, key = factory.key(ada)
    (shown,) = call(client, key, "/api/keys").json["keys"]
    assert shown["permissions"] is None
    assert shown["allowed_networks"] == []
    assert shown["rate_limit"] is None
    assert shown["description"] is None


@pytest.mark.parametrize(
    ("networks", "inside", "outside"),
    [
        (["127.0.0.2/32"], "127.0.0.2", "127.0.0.3"),
        (["10.0.0.0/13"], "10.7.255.255", "10.8.0.0"),  # a prefix inside a hex digit
        (["2001:db8::/32"], "2001:db8:ffff::1", "2001:db9::1"),
        (["2001:db8::7"], "2001:db8::7", "2001:db8::8"),
        (["192.0.2.0/24", "198.51.100.7"], "198.51.100.7", "198.51.100.8"),
    ],
)
def test_a_key_works_only_from_its_allowed_networks(
    client, factory, ada, networks, inside, outside
):
    _, key = factory.key(ada, allowed_networks=networks)
    assert call(client, key, address=inside).status_code == 200
    refused = call(client, key, address=outside)
    assert refused.status_code == 403
    assert refused.json["error"] == {
        "code": "address_not_allowed",
        "message": f"This key may not be used from {outside}.",
    }
    assert call(client, key, address=inside).status_code == 200


def test_an_ipv6_range_allows_no_ipv4_client_on_either_gate(client, factory, ada):
    # admit.lua sees IPv4 inside ::ffff:0:0/96, so "::/0" must not let 127.0.0.2 in there
    # while the database gate refuses it.
    _, key = factory.key(ada, allowed_networks=["::/0"])
    assert call(client, key, address="2001:db8::1").status_code == 200
    assert call(client, key, address="127.0.0.2").status_code == 403
    assert call(client, key, address="::ffff:127.0.0.2").status_code == 403


def test_a_refusal_by_network_is_audited_once_a_minute_per_address(app, client, factory, ada):
    key_id, key = factory.key(ada, allowed_networks=["127.0.0.2"])
    for address in ("127.0.0.3", "127.0.0.3", "127.0.0.4"):
        assert call(client, key, address=address).status_code == 403
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.KEY_ADDRESS_REFUSED)
        ).all()
        assert sorted(json.loads(event.details)["address"] for event in events) == [
            "127.0.0.3",
            "127.0.0.4",
        ]
        assert {event.target for event in events} == {f"key:{key_id}"}


def test_only_the_genuine_key_learns_its_address_is_not_allowed(client, factory, ada):
    _, key = factory.key(ada, allowed_networks=["127.0.0.2"])
    wrong = key[:-10] + ("A" if key[-10] != "A" else "B") + key[-9:]
    assert call(client, wrong, address="127.0.0.3").status_code == 401


def test_a_keys_own_limit_is_counted_on_top_of_its_owners_budget(client, factory, ada):
    _, limited = factory.key(ada, "Limited", rate_limit="5 per minute")
    _, other = factory.key(ada, "Other")
    answers = [call(client, limited) for _ in range(8)]
    assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 3
    assert answers[0].headers["X-RateLimit-Limit"] == "5"  # closer to running out
    assert answers[4].headers["X-RateLimit-Remaining"] == "0"
    refused = answers[-1]
    assert refused.json["error"]["code"] == "rate_limited"
    assert refused.json["error"]["message"].startswith(
        "Rate limit of 5 per minute for this key exceeded."
    )
    assert "Retry-After" in refused.headers
    # The owner's budget was charged for the 5 that passed, not for the 3 refused.
    fine = call(client, other)
    assert fine.status_code == 200
    assert fine.headers["X-RateLimit-Limit"] == "100"
    assert fine.headers["X-RateLimit-Remaining"] == str(100 - 6)


def test_disable_then_enable_through_the_api(client, factory, ada):
    key_id, key = factory.key(ada, "Paused")
    _, admin_key = factory.key(ada, "Manager")
    disabled = call(client, admin_key, f"/api/keys/{key_id}/disable", "POST")
    assert disabled.status_code == 200
    assert disabled.json["status"] == "disabled"
    refused = call(client, key)
    assert refused.status_code == 401
    assert refused.json["error"] == {"code": "disabled_api_key", "message": "API key disabled"}
    assert refused.headers["WWW-Authenticate"] == 'ApiKey header="X-API-Key"'
    enabled = call(client, admin_key, f"/api/keys/{key_id}/enable", "POST")
    assert enabled.status_code == 200
    assert enabled.json["status"] == "active"
    assert call(client, key).status_code == 200


def test_a_disabled_key_looks_unknown_to_anyone_without_its_secret(client, factory, ada):
    key_id, key = factory.key(ada)
    factory.app_call(service.disable_key, key_id, owner_id=None)
    wrong = key[:-10] + ("A" if key[-10] != "A" else "B") + key[-9:]
    assert call(client, wrong).json["error"]["code"] == "invalid_api_key"


def test_a_revoked_or_expired_key_cannot_be_enabled(client, factory, ada):
    _, manager = factory.key(ada, "Manager")
    revoked_id, _ = factory.key(ada, "Gone")
    expired_id, _ = factory.key(ada, "Old")
    factory.revoke(revoked_id)
    factory.expire(expired_id)
    for key_id, word in ((revoked_id, "revoked"), (expired_id, "expired")):
        refused = call(client, manager, f"/api/keys/{key_id}/enable", "POST")
        assert refused.status_code == 409
        assert refused.json["error"]["code"] == "conflict"
        assert f"{word} key cannot be enabled" in refused.json["error"]["message"]


def test_another_users_key_cannot_be_disabled_or_enabled(client, factory, ada):
    theirs, _ = factory.key(factory.user())
    _, mine = factory.key(ada)
    for verb in ("disable", "enable"):
        assert call(client, mine, f"/api/keys/{theirs}/{verb}", "POST").status_code == 404


def test_a_narrowing_edit_applies_on_the_next_request(client, factory, ada):
    key_id, key = factory.key(ada)
    assert call(client, key, "/api/endpoint", "POST").status_code == 200
    edit = KeyEdit(access="restricted", permissions={"endpoint": "read"})
    factory.app_call(service.edit_key, key_id, edit, owner_id=None)
    assert call(client, key, "/api/endpoint", "POST").json["error"]["message"] == (
        "This key has no write permission on endpoint."
    )
    assert call(client, key, "/api/endpoint").status_code == 200
    factory.app_call(service.edit_key, key_id, KeyEdit(allowed_networks="127.0.0.9"), owner_id=None)
    assert call(client, key, "/api/endpoint").status_code == 403
    factory.app_call(service.edit_key, key_id, KeyEdit(allowed_networks=""), owner_id=None)
    factory.app_call(service.edit_key, key_id, KeyEdit(rate_limit="1 per hour"), owner_id=None)
    assert call(client, key).status_code == 200
    assert call(client, key).status_code == 429
