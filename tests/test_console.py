"""The console with the Flask client: fragments for HTMX, pages without it, CSRF, no-store."""

from __future__ import annotations

import re

import pytest

from support.web import csrf_token

HTMX = {"HX-Request": "true"}


@pytest.fixture
def signed_in(client, auth, factory):
    user = factory.user("ada@example.com")
    auth.login(user)
    return user


def token(client):
    return csrf_token(client, "/en/api-keys")


def create(client, name, htmx=True):
    headers = {**HTMX, "X-CSRFToken": token(client)} if htmx else {}
    data = {"name": name} if htmx else {"name": name, "csrf_token": token(client)}
    return client.post("/en/api-keys", data=data, headers=headers)


def revealed_key(response) -> str:
    match = re.search(
        r'<textarea id="new-key-[^"]*"[^>]*>(ck_[A-Za-z0-9_]+)</textarea>',
        response.get_data(as_text=True),
    )
    assert match, "no key in the reveal"
    return match.group(1)


def test_empty_state_explains_keys_and_offers_create(client, signed_in):
    page = client.get("/en/api-keys").get_data(as_text=True)
    assert "No API keys yet" in page
    assert "Create New Key" in page
    assert "X-API-Key" in page


def test_create_form_is_a_fragment_for_htmx_and_a_page_otherwise(client, signed_in):
    fragment = client.get("/en/api-keys/create", headers=HTMX).get_data(as_text=True)
    page = client.get("/en/api-keys/create").get_data(as_text=True)
    assert 'name="name"' in fragment and 'name="name"' in page
    assert "<html" not in fragment
    assert "<html" in page


def test_htmx_create_reveals_the_key_once_and_swaps_the_table_out_of_band(client, signed_in):
    response = create(client, "  Mobile App  ")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Key created" in response.headers["HX-Trigger"]
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert "you will not see it again" in body
    assert 'data-copy="#new-key-' in body
    assert 'hx-history="false"' in body
    assert 'id="keys" aria-labelledby="keys-heading" hx-swap-oob="outerHTML"' in body
    key = revealed_key(response)
    assert body.count(key) == 1
    assert ">Mobile App<" in body  # the name, trimmed, in the new row

    api = client.get("/api/endpoint", headers={"X-API-Key": key})
    assert api.status_code == 200
    assert api.json["key"]["name"] == "Mobile App"

    again = client.get("/en/api-keys").get_data(as_text=True)
    assert key not in again
    assert key[:11] in again  # the display prefix is shown instead


def test_create_without_javascript_renders_the_reveal_page_not_a_redirect(client, signed_in):
    response = create(client, "Script", htmx=False)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert "<html" in body
    key = revealed_key(response)
    with client.session_transaction() as session:
        assert key not in repr(dict(session))  # never in the session or a flash


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the key a name"),
        ("   ", "Give the key a name"),
        ("x" * 101, "at most 100"),
        ("a\x00b", "control characters"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
def test_bad_names_answer_422_with_the_form_and_its_message(client, signed_in, name, message, htmx):
    response = create(client, name, htmx=htmx)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert 'name="name"' in body
    assert ("<html" in body) is (not htmx)
    assert "No API keys yet" in client.get("/en/api-keys").get_data(as_text=True)


def test_too_many_active_keys_is_refused_with_a_message(app, client, signed_in):
    app.config["MAX_ACTIVE_KEYS_PER_USER"] = 2
    assert create(client, "one").status_code == 200
    assert create(client, "two").status_code == 200
    refused = create(client, "three")
    assert refused.status_code == 422
    assert "already have 2 active keys" in refused.get_data(as_text=True)


@pytest.mark.parametrize("header", [None, "wrong"], ids=["missing", "wrong"])
def test_htmx_posts_without_a_valid_csrf_header_are_400(client, signed_in, factory, header):
    headers = dict(HTMX)
    if header:
        headers["X-CSRFToken"] = header
    response = client.post("/en/api-keys", data={"name": "x"}, headers=headers)
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#messages"
    key_id, _ = factory.key(signed_in)
    assert client.post(f"/en/api-keys/{key_id}/revoke", headers=headers).status_code == 400
    assert "Active" in client.get("/en/api-keys").get_data(as_text=True)


def test_revoke_asks_first_then_swaps_the_row_in_place(client, signed_in, factory):
    key_id, secret = factory.key(signed_in, "Mobile App")
    confirm = client.get(f"/en/api-keys/{key_id}/revoke", headers=HTMX).get_data(as_text=True)
    assert "<html" not in confirm
    assert "Revoke “Mobile App”" in confirm
    assert "Revoked keys cannot be restored" in confirm

    response = client.post(
        f"/en/api-keys/{key_id}/revoke", headers={**HTMX, "X-CSRFToken": token(client)}
    )
    assert response.status_code == 200
    row = response.get_data(as_text=True)
    assert row.strip().startswith(f'<tr id="key-{key_id}"')
    assert "Revoked" in row
    assert ">Revoke<" not in row
    assert "revoked" in response.headers["HX-Trigger"]
    assert client.get("/api/me", headers={"X-API-Key": secret}).status_code == 401


def test_revoke_without_javascript_confirms_on_a_page_then_redirects(client, signed_in, factory):
    key_id, secret = factory.key(signed_in, "Mobile App")
    page = client.get(f"/en/api-keys/{key_id}/revoke").get_data(as_text=True)
    assert "<html" in page and "Revoked keys cannot be restored" in page
    response = client.post(f"/en/api-keys/{key_id}/revoke", data={"csrf_token": token(client)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/api-keys"
    assert "Key “Mobile App” revoked" in client.get("/en/api-keys").get_data(as_text=True)
    assert client.get("/api/me", headers={"X-API-Key": secret}).status_code == 401


def test_cancel_puts_the_row_back(client, signed_in, factory):
    key_id, _ = factory.key(signed_in, "Mobile App")
    row = client.get(f"/en/api-keys/{key_id}/row", headers=HTMX).get_data(as_text=True)
    assert ">Revoke<" in row


@pytest.mark.parametrize("path", ["/en/api-keys/{}/revoke", "/en/api-keys/{}/row"])
def test_another_users_key_id_is_404(client, signed_in, factory, path):
    eve = factory.user("eve@example.com")
    key_id, secret = factory.key(eve)
    assert client.get(path.format(key_id), headers=HTMX).status_code == 404
    response = client.post(
        f"/en/api-keys/{key_id}/revoke", headers={**HTMX, "X-CSRFToken": token(client)}
    )
    assert response.status_code == 404
    assert client.get("/api/me", headers={"X-API-Key": secret}).status_code == 200


def test_expired_session_on_htmx_sends_the_browser_to_sign_in(client):
    response = client.get("/en/api-keys/create", headers=HTMX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/en/login")
    assert response.get_data() == b""


def test_rows_show_prefix_dates_last_used_and_status(client, signed_in, factory):
    _, secret = factory.key(signed_in, "Used")
    factory.key(signed_in, "Unused")
    # Read to the end and closed, as a server does: the key's use is recorded after that.
    client.get("/api/me", headers={"X-API-Key": secret}, buffered=True)
    page = client.get("/en/api-keys").get_data(as_text=True)
    assert page.index(">Unused<") < page.index(">Used<")  # newest first
    assert "Never" in page
    assert "just now" in page
    assert re.search(r'<time datetime="[^"]+\+00:00" title="[^"]+ \(UTC\)">', page)
    assert "Active" in page


def test_standard_users_do_not_see_or_reach_the_admin_page(client, signed_in):
    assert "/en/admin/users" not in client.get("/en/api-keys").get_data(as_text=True)
    assert client.get("/en/admin/users").status_code == 403


def test_admin_sees_users_and_changes_a_role(client, auth, factory):
    admin = factory.user("root@example.com", role="admin")
    bob = factory.user("bob@example.com")
    factory.key(bob)
    auth.login(admin)
    page = client.get("/en/admin/users").get_data(as_text=True)
    assert "bob@example.com" in page
    row = re.search(rf'<tr id="user-{bob.id}">.*?</tr>', page, re.S).group(0)
    assert ">1<" in row  # one active key
    response = client.post(
        f"/en/admin/users/{bob.id}/role",
        data={"role": "premium"},
        headers={**HTMX, "X-CSRFToken": token(client)},
    )
    assert response.status_code == 200
    assert 'value="premium" selected' in response.get_data(as_text=True)
    refused = client.post(
        f"/en/admin/users/{bob.id}/role",
        data={"role": "wizard"},
        headers={**HTMX, "X-CSRFToken": token(client)},
    )
    assert refused.status_code == 400


def test_expired_session_on_an_htmx_post_goes_to_sign_in_not_a_csrf_message(client, factory):
    response = client.post(
        "/en/api-keys",
        data={"name": "x"},
        headers={
            **HTMX,
            "X-CSRFToken": "from a session that expired",
            "HX-Current-URL": "http://localhost/en/api-keys",
        },
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/en/login?next=/en/api-keys"
