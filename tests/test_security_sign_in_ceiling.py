"""Password checks have a ceiling, whoever asks: past it, a sign-in gets 429 without bcrypt.

Sign-ins from many addresses and for many emails each stay within their own budgets; the
fleet's budget of password checks and each process's slots bound their sum. A person
signing in from an address they used before has a budget of their own, and API calls are
never touched. Every other page that runs bcrypt for a visitor (confirming a sign-up,
setting a password from a reset link, changing it, turning the second factor off) waits
for a free check in the same way.
"""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from app.config import password_check_rate

from support.factory import PASSWORD
from support.mail import link_in, post, to
from support.two_factor import enrol
from support.web import csrf_token

NEW_PASSWORD = "a brand new passphrase"
# Room in the fleet's budget: only this process's one slot, held by the test, is missing.
ROOMY = {"PASSWORD_CHECK_RATE_LIMIT": "100 per minute"}


@pytest.fixture
def config_overrides():
    """Two password checks a minute, fleet-wide: reached at once, and no clock runs out."""
    return {"PASSWORD_CHECK_RATE_LIMIT": "2 per minute"}


def password_checks() -> float:
    return REGISTRY.get_sample_value("chameleon_bcrypt_checks_total", {"of": "password"}) or 0.0


def sign_in(client, email: str, password: str, address: str):
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/en/login", data=data, environ_base={"REMOTE_ADDR": address})


def test_past_the_fleets_budget_a_sign_in_is_refused_without_bcrypt(app, client, factory):
    # Two strangers, two addresses, two unknown emails: each within every budget of its own.
    assert sign_in(client, "nobody1@example.com", "guess", "198.51.100.1").status_code == 422
    assert sign_in(client, "nobody2@example.com", "guess", "198.51.100.2").status_code == 422
    before = password_checks()
    refused = sign_in(client, "nobody3@example.com", "guess", "198.51.100.3")
    assert refused.status_code == 429
    assert "Too many sign-ins right now" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) >= 1
    assert password_checks() == before
    # A genuine account from a new address waits like everyone else: no check, no sign-in.
    ada = factory.user("ada@example.com")
    assert sign_in(client, ada.email, ada.password, "198.51.100.4").status_code == 429
    assert password_checks() == before


def test_genuine_api_calls_are_unaffected(app, client, factory):
    _, key = factory.key(factory.user("ada@example.com"))
    for number in range(4):
        sign_in(client, f"nobody{number}@example.com", "guess", f"198.51.100.{number + 1}")
    assert sign_in(client, "nobody@example.com", "guess", "198.51.100.9").status_code == 429
    assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 200


def test_an_address_the_user_signed_in_from_has_a_budget_of_its_own(app, client, factory):
    ada = factory.user("ada@example.com")
    assert sign_in(client, ada.email, ada.password, "203.0.113.5").status_code == 302
    client.post("/en/logout", data={"csrf_token": csrf_token(client, "/en/api-keys")})
    for number in range(3):  # strangers spend everyone's budget
        sign_in(client, f"nobody{number}@example.com", "guess", f"198.51.100.{number + 1}")
    assert sign_in(client, "nobody@example.com", "guess", "198.51.100.9").status_code == 429
    # Ada, from her usual address, still gets in.
    assert sign_in(client, ada.email, ada.password, "203.0.113.5").status_code == 302


def test_sign_up_hashes_within_the_same_ceiling(app, client):
    for number in range(2):
        sign_in(client, f"nobody{number}@example.com", "guess", f"198.51.100.{number + 1}")
    data = {
        "email": "new@example.com",
        "password": "a long enough password",
        "csrf_token": csrf_token(client, "/en/signup"),
    }
    refused = client.post("/en/signup", data=data, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert refused.status_code == 429
    assert "Too many sign-ins right now" in refused.get_data(as_text=True)


@pytest.mark.parametrize("config_overrides", [ROOMY])
def test_one_check_at_a_time_in_a_process(app, client, factory, config_overrides):
    ada = factory.user("ada@example.com")
    before = password_checks()
    with app.extensions["password_checks"].slot():  # a check in progress in this process
        busy = sign_in(client, ada.email, ada.password, "198.51.100.1")
    assert busy.status_code == 429
    assert busy.headers["Retry-After"] == "1"
    assert password_checks() == before
    assert sign_in(client, ada.email, ada.password, "198.51.100.1").status_code == 302


def busy_form(app, client, path: str, data: dict, field: str):
    """Post ``data`` while this process's only password check is taken: the 429 page."""
    with app.extensions["password_checks"].slot():
        busy = post(client, path, data)
    assert busy.status_code == 429
    assert busy.headers["Retry-After"] == "1"
    assert "Too many sign-ins right now" in busy.text
    assert f'name="{field}"' in busy.text  # the form again, to send once more
    return busy


@pytest.mark.parametrize("config_overrides", [ROOMY])
def test_confirming_a_sign_up_waits_for_a_free_check(app, client, config_overrides):
    post(client, "/en/signup", {"email": "new@example.com", "password": PASSWORD})
    link = link_in(to(app, "new@example.com")[-1])
    busy_form(app, client, link, {"password": PASSWORD}, "password")
    assert post(client, link, {"password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("config_overrides", [ROOMY])
def test_a_reset_link_waits_for_a_free_check(app, client, factory, config_overrides):
    user = factory.user()
    post(client, "/en/password-reset", {"email": user.email})
    link = link_in(to(app, user.email)[-1])
    busy_form(app, client, link, {"new_password": NEW_PASSWORD}, "new_password")
    assert post(client, link, {"new_password": NEW_PASSWORD}).status_code == 302  # still good


@pytest.mark.parametrize("config_overrides", [ROOMY])
def test_changing_the_password_waits_for_a_free_check(app, client, auth, factory, config_overrides):
    auth.login(factory.user())
    form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    busy_form(app, client, "/en/account/password", form, "new_password")
    assert post(client, "/en/account/password", form).status_code == 302  # nothing changed yet


@pytest.mark.parametrize("config_overrides", [ROOMY])
def test_turning_the_second_factor_off_waits_for_a_free_check(
    app, client, auth, factory, config_overrides
):
    auth.login(factory.user())
    _, codes = enrol(client)
    form = {"current_password": PASSWORD, "code": codes[0]}
    busy_form(app, client, "/en/account/two-factor/disable", form, "current_password")
    assert post(client, "/en/account/two-factor/disable", form).status_code == 302


@pytest.mark.parametrize(
    ("rounds", "rate"),
    [(12, "1 per second"), (14, "1 per second"), (10, "4 per second"), (4, "256 per second")],
)
def test_the_default_ceiling_is_the_same_cpu_at_any_bcrypt_cost(rounds, rate):
    assert password_check_rate(rounds) == rate
