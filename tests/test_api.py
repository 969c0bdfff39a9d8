"""The JSON API as documented: the echo, /me, the caller's keys, and every error."""

from __future__ import annotations

import io
import re

import pytest

from app.keys.format import checksum, generate_key


def api_key_header(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


@pytest.fixture
def standard(factory):
    user = factory.user("ada@example.com")
    key_id, secret = factory.key(user, "Mobile App")
    return user, key_id, secret


def test_post_endpoint_echoes_user_key_and_body(client, standard):
    user, key_id, secret = standard
    response = client.post("/api/endpoint", headers=api_key_header(secret), json={"key": "value"})
    assert response.status_code == 200
    assert response.json == {
        "ok": True,
        "user": {"id": user.id, "email": "ada@example.com", "role": "standard"},
        "key": {"id": key_id, "name": "Mobile App"},
        "received": {"key": "value"},
    }


def test_get_endpoint_receives_null(client, standard):
    response = client.get("/api/endpoint", headers=api_key_header(standard[2]))
    assert response.status_code == 200
    assert response.json["received"] is None


def test_me_shows_role_and_rate_limit(client, standard):
    response = client.get("/api/me", headers=api_key_header(standard[2]))
    assert response.json == {
        "id": standard[0].id,
        "email": "ada@example.com",
        "role": "standard",
        "rate_limit": "100 per minute",
    }


def test_missing_header_is_401_missing_api_key(client):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json == {
        "error": {"code": "missing_api_key", "message": "Missing X-API-Key header"}
    }
    assert response.headers["WWW-Authenticate"] == 'ApiKey header="X-API-Key"'


@pytest.mark.parametrize(
    "presented",
    [
        "not-a-key",
        generate_key().value[:-1] + "0",  # wrong checksum (or, rarely, the right one: see below)
        generate_key().value,  # well formed, unknown key id
    ],
    ids=["malformed", "bad-checksum", "unknown"],
)
def test_bad_key_is_401_api_key_not_found(client, standard, presented):
    response = client.get("/api/me", headers=api_key_header(presented))
    assert response.status_code == 401
    assert response.json == {"error": {"code": "invalid_api_key", "message": "API key not found"}}
    assert response.headers["WWW-Authenticate"] == 'ApiKey header="X-API-Key"'


def test_wrong_secret_for_a_real_key_id_is_401(client, standard):
    key_id = standard[1]
    forged = generate_key()
    # The real key id with somebody else's secret and a correct checksum.
    body = f"ck_{key_id}_{forged.value[16:-6]}"
    response = client.get("/api/me", headers=api_key_header(body + checksum(body)))
    assert response.status_code == 401
    assert response.json["error"]["message"] == "API key not found"


def test_revoked_key_is_rejected_on_the_next_request(client, standard):
    _, key_id, secret = standard
    assert client.get("/api/me", headers=api_key_header(secret)).status_code == 200
    revoked = client.post(f"/api/keys/{key_id}/revoke", headers=api_key_header(secret))
    assert revoked.status_code == 200
    assert revoked.json["status"] == "revoked"
    assert revoked.json["revoked_at"]
    response = client.get("/api/me", headers=api_key_header(secret))
    assert response.status_code == 401
    assert response.json["error"] == {"code": "invalid_api_key", "message": "API key not found"}


def test_deactivated_users_keys_stop_working(client, factory, standard):
    user, _, secret = standard
    assert client.get("/api/me", headers=api_key_header(secret)).status_code == 200
    factory.deactivate(user)
    assert client.get("/api/me", headers=api_key_header(secret)).status_code == 401


def test_unknown_path_is_json_404(client, standard):
    response = client.get("/api/nothing-here", headers=api_key_header(standard[2]))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_unknown_path_or_method_without_a_key_is_404_or_405_not_401(client):
    unknown = client.get("/api/nothing-here")
    assert unknown.status_code == 404
    assert unknown.json["error"]["code"] == "not_found"
    assert "X-RateLimit-Limit" in unknown.headers
    wrong_method = client.delete("/api/me")
    assert wrong_method.status_code == 405
    assert wrong_method.json["error"]["code"] == "method_not_allowed"


def test_wrong_method_is_json_405(client, standard):
    response = client.delete("/api/me", headers=api_key_header(standard[2]))
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    # HTTP requires a 405 to say which methods the resource does take.
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("body", ["{bad", '{"a": ', "[" * 100_000, b"\xff\xfe"])
def test_bad_json_is_400(client, standard, body):
    response = client.post(
        "/api/endpoint",
        headers={**api_key_header(standard[2]), "Content-Type": "application/json"},
        data=body,
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_body_shorter_than_its_content_length_is_400(client, standard):
    # A client that announced more than it sent (and hung up): never a prefix taken as JSON.
    response = client.post(
        "/api/endpoint",
        headers={**api_key_header(standard[2]), "Content-Type": "application/json"},
        data=b'{"a": 1}',
        environ_overrides={"CONTENT_LENGTH": "100"},
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


class HangsUp(io.BytesIO):
    """A request body whose client resets the connection halfway."""

    def read(self, *_args):
        raise ConnectionResetError("connection reset by peer")


def test_client_hanging_up_mid_body_is_400_not_500(client, standard):
    response = client.post(
        "/api/endpoint",
        headers={**api_key_header(standard[2]), "Content-Type": "application/json"},
        input_stream=HangsUp(),
        environ_overrides={"CONTENT_LENGTH": "16"},
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_every_api_answer_carries_rate_limit_headers(client, standard):
    secret = standard[2]
    answers = [
        client.get("/api/me", headers=api_key_header(secret)),
        client.get("/api/nothing", headers=api_key_header(secret)),
        client.get("/api/nothing"),
        client.get("/api/me"),
        client.get("/api/me", headers=api_key_header("nope")),
    ]
    for response in answers:
        for header in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            assert header in response.headers, (response.status_code, header)


def test_a_key_in_the_query_string_is_not_accepted(client, standard):
    response = client.get(f"/api/me?api_key={standard[2]}")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "missing_api_key"


def test_cookies_are_ignored_and_never_set_under_api(client, auth, factory, standard):
    user = standard[0]
    auth.login(user)
    # Signed in through the console, yet the API still wants a key...
    assert client.get("/api/me").status_code == 401
    # ...and an API answer never sets a session cookie.
    response = client.get("/api/me", headers=api_key_header(standard[2]))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_list_keys_shows_only_the_callers_keys_without_secrets(client, factory, standard):
    user, key_id, secret = standard
    other_key_id, _ = factory.key(user, "Second")
    stranger = factory.user("eve@example.com")
    factory.key(stranger, "Eve's")
    response = client.get("/api/keys", headers=api_key_header(secret))
    assert response.status_code == 200
    keys = response.json["keys"]
    assert [key["id"] for key in keys] == [other_key_id, key_id]
    assert set(keys[0]) == {
        "id", "name", "description", "prefix", "created_at", "last_used_at", "last_used_ip",
        "status", "revoked_at", "expires_at", "access", "permissions", "allowed_networks",
        "rate_limit", "replaced_by",
    }  # fmt: skip
    assert response.json["next_cursor"] is None
    text = response.get_data(as_text=True)
    assert secret not in text
    assert "$2b$" not in text  # no bcrypt hash


def test_user_cannot_see_or_revoke_another_users_key(client, factory, standard):
    _, _, secret = standard
    stranger = factory.user("eve@example.com")
    eve_key_id, eve_secret = factory.key(stranger, "Eve's")
    listed = client.get("/api/keys", headers=api_key_header(secret)).json["keys"]
    assert eve_key_id not in {key["id"] for key in listed}
    response = client.post(f"/api/keys/{eve_key_id}/revoke", headers=api_key_header(secret))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    # Nothing changed: Eve's key still works.
    assert client.get("/api/me", headers=api_key_header(eve_secret)).status_code == 200


@pytest.mark.parametrize("key_id", ["x" * 500, "%00", "abc", "ck_", "AAAAAAAAAAAA"])
def test_revoking_a_strange_key_id_is_404(client, standard, key_id):
    response = client.post(f"/api/keys/{key_id}/revoke", headers=api_key_header(standard[2]))
    assert response.status_code == 404


def admin_rules(app):
    """Every (method, path) under /api/admin, found in the URL map (new ones included)."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/admin"):
            continue
        path = re.sub(r"<int[^>]*:user_id>", "1", rule.rule).replace("<key_id>", "AAAAAAAAAAAA")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


def test_standard_and_premium_keys_get_403_on_every_admin_route(app, client, factory):
    rules = list(admin_rules(app))
    assert len(rules) >= 4
    for role in ("standard", "premium"):
        user = factory.user(f"{role}@example.com", role=role)
        _, secret = factory.key(user)
        for method, path in rules:
            response = client.open(path, method=method, headers=api_key_header(secret), json={})
            assert response.status_code == 403, (role, method, path)
            assert response.json["error"]["code"] == "forbidden"


def test_admin_lists_users_and_changes_roles(client, factory):
    admin = factory.user("root@example.com", role="admin")
    _, admin_secret = factory.key(admin)
    bob = factory.user("bob@example.com")
    _, bob_secret = factory.key(bob)
    headers = api_key_header(admin_secret)

    users = client.get("/api/admin/users", headers=headers).json["users"]
    assert {user["email"] for user in users} == {"root@example.com", "bob@example.com"}
    assert all("password_hash" not in user for user in users)

    response = client.patch(f"/api/admin/users/{bob.id}", headers=headers, json={"role": "premium"})
    assert response.status_code == 200
    assert response.json["role"] == "premium"
    me = client.get("/api/me", headers=api_key_header(bob_secret)).json
    assert me["rate_limit"] == "500 per minute"

    response = client.patch(f"/api/admin/users/{bob.id}", headers=headers, json={"active": False})
    assert response.json["active"] is False
    assert client.get("/api/me", headers=api_key_header(bob_secret)).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"role": "wizard"},
        {"active": "no"},
        {"colour": "red"},
        [],
        {},
        {"role": 7},
        {"role": None},
        {"active": None, "role": "premium"},
    ],
)
def test_admin_patch_refuses_bad_changes_with_400(client, factory, body):
    admin = factory.user("root@example.com", role="admin")
    _, secret = factory.key(admin)
    bob = factory.user("bob@example.com")
    response = client.patch(f"/api/admin/users/{bob.id}", headers=api_key_header(secret), json=body)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_admin_cannot_demote_themselves(client, factory):
    admin = factory.user("root@example.com", role="admin")
    _, secret = factory.key(admin)
    response = client.patch(
        f"/api/admin/users/{admin.id}", headers=api_key_header(secret), json={"role": "standard"}
    )
    assert response.status_code == 400


def test_admin_lists_and_revokes_any_key(client, factory):
    admin = factory.user("root@example.com", role="admin")
    _, admin_secret = factory.key(admin)
    bob = factory.user("bob@example.com")
    bob_key_id, bob_secret = factory.key(bob, "Bob's")
    headers = api_key_header(admin_secret)
    keys = client.get("/api/admin/keys", headers=headers).json["keys"]
    assert {key["id"]: key["user"]["email"] for key in keys}[bob_key_id] == "bob@example.com"
    response = client.post(f"/api/admin/keys/{bob_key_id}/revoke", headers=headers)
    assert response.json["status"] == "revoked"
    assert client.get("/api/me", headers=api_key_header(bob_secret)).status_code == 401
    assert client.post("/api/admin/keys/AAAAAAAAAAAA/revoke", headers=headers).status_code == 404


def test_the_key_hook_runs_before_every_hook_but_the_metrics_clock(app):
    from app.api.key_hook import authenticate_api_request
    from app.extensions import limiter
    from app.metrics import start_clock

    hooks = app.before_request_funcs[None]
    # The clock first, so a request's latency includes its key check; the extensions' own
    # checks (Flask-Limiter's among them) after the key hook, so a refused key pays for none.
    assert hooks[:2] == [start_clock, authenticate_api_request]
    assert [getattr(hook, "__self__", None) is limiter for hook in hooks[2:]].count(True) == 1
