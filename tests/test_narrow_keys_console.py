"""The console: create a narrowed key, see it, edit it, disable and enable it (no script)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey

from support.web import csrf_token


@pytest.fixture
def signed_in(client, auth, factory):
    user = factory.user("ada@example.com")
    auth.login(user)
    return user


def post(client, path, **data):
    data["csrf_token"] = csrf_token(client, "/en/api-keys")
    return client.post(path, data=data)


def row(app, name):
    with app.app_context():
        return db.session.scalar(select(ApiKey).where(ApiKey.name == name))


def test_the_create_form_offers_everything_that_narrows_a_key(client, signed_in):
    page = client.get("/en/api-keys/create").text
    for field in ("description", "allowed_networks", "rate_limit", "permission_keys"):
        assert f'name="{field}"' in page
    assert 'value="restricted"' in page


def test_create_a_restricted_key_with_networks_and_a_limit(app, client, signed_in):
    made = post(
        client, "/en/api-keys", name="Webhook", access="restricted", permission_endpoint="write",
        permission_keys="read", permission_audit="none", permission_admin="none",
        allowed_networks="127.0.0.0/8\n2001:db8::/32", rate_limit="10 per minute",
        description="Order webhooks.",
    )  # fmt: skip
    assert made.status_code == 200, made.text
    key = row(app, "Webhook")
    assert key.permissions == "endpoint=write,keys=read,audit=none,admin=none"
    assert key.allowed_networks == "127.0.0.0/8,2001:db8::/32"
    assert key.rate_limit == "10 per minute"
    listing = client.get("/en/api-keys?q=webhooks").text  # the description is searched
    assert "Webhook" in listing and "Limit: 10 per minute" in listing
    page = client.get(f"/en/api-keys/{key.key_id}").text
    assert "Order webhooks." in page and "2001:db8::/32" in page


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("allowed_networks", "10.0.0.300", "is not an IP address or CIDR range"),
        ("rate_limit", "lots", "is not a rate limit"),
        ("rate_limit", "1000 per minute", "more than the owner"),
        ("description", "x" * 501, "at most 500"),
    ],
)
def test_bad_input_rerenders_the_form_with_the_message(app, client, signed_in, field, value, words):
    answer = post(client, "/en/api-keys", name="Bad", **{field: value})
    assert answer.status_code == 422
    assert words in answer.text.replace("&#39;", "'")
    assert row(app, "Bad") is None


def test_edit_narrows_and_refuses_to_widen(app, client, signed_in, factory):
    key_id, key = factory.key(signed_in, "Editable")
    page = f"/en/api-keys/{key_id}"
    saved = post(
        client, f"{page}/edit", name="Edited", description="Now read-only on keys.",
        access="restricted", permission_endpoint="read", permission_keys="read",
        permission_audit="none", permission_admin="none", allowed_networks="", rate_limit="",
    )  # fmt: skip
    assert saved.status_code == 302
    assert client.post("/api/endpoint", headers={"X-API-Key": key}).status_code == 403
    widened = post(
        client, f"{page}/edit", name="Edited", access="restricted", permission_endpoint="write",
        permission_keys="read", permission_audit="none", permission_admin="none",
    )  # fmt: skip
    assert widened.status_code == 422
    assert "widening them needs a new key" in widened.text
    assert row(app, "Edited").permissions.startswith("endpoint=read")


def test_disable_and_enable_buttons_work_without_script(client, signed_in, factory):
    key_id, key = factory.key(signed_in, "Pausable")
    page = f"/en/api-keys/{key_id}"
    assert 'action="/en/api-keys/' + key_id + '/disable"' in client.get(page).text
    assert post(client, f"{page}/disable").status_code == 302
    assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 401
    shown = client.get(page).text
    assert "/enable" in shown
    assert "Disabled" in client.get("/en/api-keys").text
    assert post(client, f"{page}/enable").status_code == 302
    assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 200
