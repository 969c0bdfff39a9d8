"""Input nobody should send gets a clear 4xx in the documented shape, never a 500."""

from __future__ import annotations

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
