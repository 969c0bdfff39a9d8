"""REQUIRE_TWO_FACTOR: users in scope enrol right after signing in, before anything else."""

from __future__ import annotations

import pytest

from support.two_factor import enrol


@pytest.fixture
def config_overrides():
    """Admins must have a second factor."""
    return {"REQUIRE_TWO_FACTOR": "admins"}


@pytest.mark.parametrize(
    "path",
    ["/en/api-keys", "/en/activity", "/en/account", "/en/admin/users", "/en/api-keys/create"],
)
def test_an_admin_without_a_second_factor_reaches_only_enrolment(client, auth, factory, path):
    auth.login(factory.user(role="admin"))
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/en/account/two-factor"
    page = client.get("/en/account/two-factor")
    assert page.status_code == 200
    assert "This service asks for a second factor on your account." in page.text


def test_htmx_is_sent_to_enrolment_as_a_whole_page(client, auth, factory):
    auth.login(factory.user(role="admin"))
    answer = client.get("/en/api-keys/create", headers={"HX-Request": "true"})
    assert answer.headers["HX-Redirect"] == "/en/account/two-factor"


def test_once_enrolled_the_admin_reaches_every_page(client, auth, factory):
    auth.login(factory.user(role="admin"))
    enrol(client)
    assert client.get("/en/api-keys").status_code == 200
    assert client.get("/en/admin/users").status_code == 200


def test_a_standard_user_is_out_of_scope(client, auth, factory):
    auth.login(factory.user())
    assert client.get("/en/api-keys").status_code == 200


def test_the_admin_can_still_sign_out(client, auth, factory):
    auth.login(factory.user(role="admin"))
    from support.mail import post

    answer = post(client, "/en/logout", {}, page="/en/account/two-factor")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/en/login"


def test_everyone_means_standard_users_too(app, factory):
    from app import create_app

    from support.apps import BASE_CONFIG, dispose_engines
    from support.web import AuthActions

    strict = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "REQUIRE_TWO_FACTOR": "everyone",
        }
    )
    try:
        client = strict.test_client()
        AuthActions(client).login(factory.user())
        assert client.get("/en/api-keys").headers["Location"] == "/en/account/two-factor"
    finally:
        dispose_engines(strict)


def test_an_unknown_scope_fails_at_start(database_url):
    from app import create_app

    from support.apps import BASE_CONFIG

    # A bad setting stops the app with one line naming it (app/config_checks.py).
    with pytest.raises(SystemExit, match="REQUIRE_TWO_FACTOR"):
        create_app(
            {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "REQUIRE_TWO_FACTOR": "some"}
        )
