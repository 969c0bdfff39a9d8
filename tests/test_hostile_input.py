"""Input nobody should send gets a clear 4xx in the documented shape, never a 500."""

from __future__ import annotations

import base64
import json

import pytest

from support.web import csrf_token as csrf

HUGE = "99999999999999999999999"


@pytest.fixture
def admin(client, factory):
    user = factory.user("root@example.com", role="admin")
    _, key = factory.key(user)
    return user, key


def test_a_huge_user_id_is_404_in_the_api(client, admin):
    response = client.patch(
        f"/api/admin/users/{HUGE}", headers={"X-API-Key": admin[1]}, json={"role": "admin"}
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_a_huge_user_id_is_404_in_the_console(client, auth, admin):
    auth.login(admin[0])
    response = client.post(
        f"/en/admin/users/{HUGE}/role",
        data={"role": "admin", "csrf_token": csrf(client, "/en/admin/users")},
    )
    assert response.status_code == 404


def test_a_huge_session_id_is_404_on_the_account_page(client, auth, admin):
    auth.login(admin[0])
    response = client.post(
        f"/en/account/sessions/{HUGE}/end",
        data={"csrf_token": csrf(client, "/en/account")},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("email", ["a\x00b@example.com", "ada@exa\x00mple.com", "\x00"])
def test_nul_in_an_email_is_a_wrong_sign_in_not_a_500(client, factory, email):
    factory.user("ada@example.com")
    response = client.post(
        "/en/login", data={"email": email, "password": "whatever it is", "csrf_token": csrf(client)}
    )
    assert response.status_code == 422
    assert "Wrong email or password." in response.text


def test_nul_in_an_email_is_refused_at_sign_up(client):
    response = client.post(
        "/en/signup",
        data={
            "email": "a\x00@example.com",
            "password": "long enough pw",
            "csrf_token": csrf(client),
        },
    )
    assert response.status_code == 422
    assert "valid email" in response.text


# 1e999 is JSON's grammar, but only a float's infinity holds it, and echoing it would not be.
@pytest.mark.parametrize("body", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e999", "[-1E+400]"])
def test_nan_and_infinity_are_not_json(client, factory, body):
    _, key = factory.key(factory.user())
    response = client.post(
        "/api/endpoint",
        headers={"X-API-Key": key, "Content-Type": "application/json"},
        data=body,
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


@pytest.mark.parametrize("target", ["/\\evil.example", "/\\/evil.example", "//evil.example"])
def test_sign_in_never_redirects_off_site(client, factory, target):
    user = factory.user()
    form = {"email": user.email, "password": user.password, "csrf_token": csrf(client)}
    response = client.post("/en/login", query_string={"next": target}, data=form)
    assert response.headers["Location"] == "/en/api-keys"


def test_the_admin_role_form_needs_its_csrf_token(client, auth, admin, factory):
    bob = factory.user("bob@example.com")
    auth.login(admin[0])
    response = client.post(f"/en/admin/users/{bob.id}/role", data={"role": "admin"})
    assert response.status_code == 400
    listed = client.get("/api/admin/users", headers={"X-API-Key": admin[1]}).json["users"]
    assert {u["email"]: u["role"] for u in listed}["bob@example.com"] == "standard"


@pytest.mark.parametrize("current", ["http://[", "http://[::1", "//[", "not a url"])
def test_a_broken_hx_current_url_signed_out_gets_the_sign_in_redirect(client, current):
    response = client.get("/en/api-keys", headers={"HX-Request": "true", "HX-Current-URL": current})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/en/login?next=")


def test_a_broken_next_on_sign_in_is_ignored(client, factory, auth):
    user = factory.user()
    from support.web import csrf_token

    token = csrf_token(client)
    response = client.post(
        "/en/login?next=//[",
        data={"email": user.email, "password": user.password, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/api-keys"


def _cursor(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "path",
    ["/api/keys", "/api/audit", "/api/admin/users", "/api/admin/keys", "/api/admin/audit"],
)
@pytest.mark.parametrize("cursor", [_cursor(int(HUGE)), _cursor(-1), _cursor(None)])
def test_a_cursor_no_page_gave_out_is_a_400_in_the_api(client, admin, path, cursor):
    response = client.get(path, query_string={"cursor": cursor}, headers={"X-API-Key": admin[1]})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": _cursor(int(HUGE))},
        {"sort": "last_used", "cursor": _cursor("not a date", 5)},
        {"sort": "last_used", "cursor": _cursor("2026-11-30T12:00:00", 5)},  # no offset
        {"sort": "last_used", "cursor": _cursor(7, 5)},
    ],
)
def test_a_cursor_no_page_gave_out_shows_the_first_page_in_the_console(
    client, auth, factory, admin, query
):
    factory.key(admin[0], "Mobile App")
    auth.login(admin[0])
    response = client.get("/en/api-keys", query_string=query)
    assert response.status_code == 200
    assert "Mobile App" in response.text


def test_a_nul_in_the_key_search_is_left_out(client, auth, factory, admin):
    factory.key(admin[0], "Mobile App")
    auth.login(admin[0])
    response = client.get("/en/api-keys", query_string={"q": "Mobile\x00"})
    assert response.status_code == 200
    assert "Mobile App" in response.text


@pytest.mark.parametrize("name", ["lang_code", "endpoint", "_method", "_external", "user_id"])
def test_a_query_parameter_named_like_a_url_for_argument_is_harmless(client, auth, admin, name):
    assert client.get("/en/login", query_string={name: "de"}).status_code == 200
    auth.login(admin[0])
    response = client.get(f"/en/admin/users/{admin[0].id}", query_string={name: "abc"})
    assert response.status_code == 200
    # The language switcher keeps the query string as it came.
    assert f'href="/de/admin/users/{admin[0].id}?{name}=abc"' in response.text


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_a_forms_back_field_never_redirects_off_site(client, auth, factory, admin, back):
    key_id, _ = factory.key(admin[0])
    auth.login(admin[0])
    response = client.post(
        f"/en/api-keys/{key_id}/revoke",
        data={"back": back, "csrf_token": csrf(client, "/en/api-keys")},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/api-keys"


def test_a_password_of_nul_bytes_is_refused_so_it_never_equals_the_empty_one(client, auth):
    response = client.post(
        "/en/signup",
        data={"email": "nul@example.com", "password": "\x00" * 20, "csrf_token": csrf(client)},
    )
    assert response.status_code == 422
    assert "cannot contain a NUL character" in response.text
    assert auth.login(email="nul@example.com", password="").status_code == 422
