"""Sessions by name on /account: "Chrome on Linux", where from, and signing out of one."""

from __future__ import annotations

import re

from support.mail import post
from support.web import AuthActions

CHROME_ON_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
END_FORM = re.compile(r'action="(/en/account/sessions/(\d+)/end)"')


def browser(app, user_agent: str):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def test_each_session_is_named_by_browser_and_system(app, factory):
    user = factory.user()
    laptop, phone = browser(app, CHROME_ON_LINUX), browser(app, SAFARI_ON_IPHONE)
    AuthActions(laptop).login(user)
    AuthActions(phone).login(user)
    page = laptop.get("/en/account").text
    assert "Chrome on Linux" in page
    assert "Mobile Safari on iOS" in page
    assert CHROME_ON_LINUX not in page  # the raw string is not what people read
    assert page.count("(this one)") == 1
    assert "Chrome en Linux" in laptop.get("/es/account").text


def test_signing_out_of_one_session_ends_only_that_one(app, factory):
    user = factory.user()
    laptop, phone = browser(app, CHROME_ON_LINUX), browser(app, SAFARI_ON_IPHONE)
    AuthActions(phone).login(user)
    AuthActions(laptop).login(user)
    forms = END_FORM.findall(laptop.get("/en/account").text)
    assert len(forms) == 2
    # The most recently used is listed first: the laptop; the phone is the other one.
    phone_action = forms[1][0]
    answer = post(laptop, phone_action, {}, page="/en/account")
    assert answer.status_code == 302
    assert "Signed out of Mobile Safari on iOS." in laptop.get("/en/account").text
    assert phone.get("/en/api-keys").status_code == 302
    assert laptop.get("/en/api-keys").status_code == 200
    assert "Signed out of a session" in laptop.get("/en/activity").text


def test_signing_out_of_this_session_from_the_list_signs_out_here(app, client, auth, factory):
    auth.login(factory.user())
    ((action, _),) = END_FORM.findall(client.get("/en/account").text)
    answer = post(client, action, {}, page="/en/account")
    assert answer.headers["Location"] == "/en/login"
    assert client.get("/en/api-keys").status_code == 302


def test_nobody_can_end_another_users_session(app, factory):
    owner, stranger = browser(app, CHROME_ON_LINUX), browser(app, CHROME_ON_LINUX)
    AuthActions(owner).login(factory.user())
    AuthActions(stranger).login(factory.user())
    ((action, _),) = END_FORM.findall(owner.get("/en/account").text)
    assert post(stranger, action, {}, page="/en/account").status_code == 404
    assert owner.get("/en/api-keys").status_code == 200


def test_ending_a_session_needs_a_csrf_token(app, client, auth, factory):
    auth.login(factory.user())
    ((action, _),) = END_FORM.findall(client.get("/en/account").text)
    assert client.post(action).status_code == 400
    assert client.get("/en/api-keys").status_code == 200


def test_an_unknown_browser_is_named_so(app, factory):
    client = browser(app, "")
    AuthActions(client).login(factory.user())
    assert "Unknown browser" in client.get("/en/account").text
