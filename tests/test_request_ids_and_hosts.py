"""Request ids on every answer, the hosts the app answers to, and secret key rotation.

Every answer names its request in ``X-Request-ID`` (a trusted proxy's id, else a random
one), errors included. With ``TRUSTED_HOSTS`` set, any other ``Host`` gets a 400 and no
redirect is ever built on it. ``SECRET_KEY_FALLBACKS`` keeps sessions signed with an
earlier key working while the key rotates.
"""

from __future__ import annotations

import re

import pytest

from app import create_app

from support.apps import BASE_CONFIG, dispose_engines
from support.web import AuthActions

GENERATED_ID = re.compile(r"[0-9a-f]{16}")


@pytest.fixture
def config_overrides(request) -> dict:
    return getattr(request, "param", {})


def test_every_answer_names_its_request_errors_included(client):
    answers = [
        client.get("/livez"),
        client.get("/api/me"),
        client.get("/api/me", headers={"X-API-Key": "ck_x"}),
        client.get("/no-such-page"),
        client.get("/api-keys"),
    ]
    assert [answer.status_code for answer in answers] == [200, 401, 401, 404, 302]
    ids = [answer.headers["X-Request-ID"] for answer in answers]
    assert all(GENERATED_ID.fullmatch(request_id) for request_id in ids), ids
    assert len(set(ids)) == len(ids)


def test_an_unexpected_error_still_names_its_request(app, client, factory):
    _, key = factory.key(factory.user())

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("a bug")

    answer = client.get("/api/boom", headers={"X-API-Key": key})
    assert answer.status_code == 500
    assert GENERATED_ID.fullmatch(answer.headers["X-Request-ID"])


def test_a_client_cannot_choose_its_request_id_without_a_trusted_proxy(client):
    answer = client.get("/livez", headers={"X-Request-ID": "chosen-by-client"})
    assert GENERATED_ID.fullmatch(answer.headers["X-Request-ID"])


@pytest.mark.parametrize("config_overrides", [{"TRUSTED_PROXY_COUNT": 1}], indirect=True)
def test_the_trusted_proxy_names_the_request_if_its_id_looks_like_one(client):
    proxied = client.get("/livez", headers={"X-Request-ID": "3f9c0a1e-7b2d-4c55-9e1f-0a2b3c4d5e6f"})
    assert proxied.headers["X-Request-ID"] == "3f9c0a1e-7b2d-4c55-9e1f-0a2b3c4d5e6f"
    for odd in ('has "quotes" and spaces', "x" * 200, "ck_" + "a" * 51):
        answer = client.get("/livez", headers={"X-Request-ID": odd})
        assert GENERATED_ID.fullmatch(answer.headers["X-Request-ID"]), odd


TRUSTED = {"TRUSTED_HOSTS": ["keys.example.com"]}


@pytest.mark.parametrize("config_overrides", [TRUSTED], indirect=True)
@pytest.mark.parametrize("path", ["/livez", "/healthz", "/api-keys", "/en/login", "/nowhere"])
def test_an_untrusted_host_is_refused_with_400(client, path):
    refused = client.get(path, headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert "Location" not in refused.headers
    assert "evil.example" not in refused.get_data(as_text=True)
    assert client.get(path, headers={"Host": "keys.example.com"}).status_code in (200, 302, 404)


@pytest.mark.parametrize("config_overrides", [{}, TRUSTED], indirect=True)
def test_redirects_never_name_the_host(client):
    for host in ("keys.example.com", "evil.example"):
        answer = client.get("/api-keys?page=2", headers={"Host": host})
        if answer.status_code == 302:
            assert answer.headers["Location"] == "/en/api-keys?page=2"
        else:  # an untrusted host, with TRUSTED_HOSTS set
            assert answer.status_code == 400


def test_a_session_survives_a_secret_key_rotation_with_the_old_key_as_fallback(
    client, auth, factory, database_url
):
    auth.login(factory.user())
    cookie = client.get_cookie("session").value

    def app_with(**secrets):
        return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **secrets})

    rotated = app_with(SECRET_KEY="the new secret key", SECRET_KEY_FALLBACKS=["test secret key"])
    without_fallback = app_with(SECRET_KEY="the new secret key")
    try:
        stale = without_fallback.test_client()
        stale.set_cookie("session", cookie)
        assert stale.get("/en/api-keys").status_code == 302  # signed out without the fallback

        browser = rotated.test_client()
        browser.set_cookie("session", cookie)
        assert browser.get("/en/api-keys").status_code == 200
        # That answer signed the cookie anew with the new key: no fallback needed from now on.
        resigned = without_fallback.test_client()
        resigned.set_cookie("session", browser.get_cookie("session").value)
        assert resigned.get("/en/api-keys").status_code == 200
        assert AuthActions(resigned).logout().status_code == 302
    finally:
        dispose_engines(rotated)
        dispose_engines(without_fallback)
