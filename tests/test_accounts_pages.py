"""The account security pages in every language: nothing left in English, no inline script."""

from __future__ import annotations

import pytest
from test_i18n import ALLOWED, ENGLISH_WORDS, VisibleText

from support.factory import PASSWORD
from support.mail import link_in, outbox, post
from support.two_factor import code_now, enrolment_secret
from support.web import INLINE_SCRIPT, INLINE_STYLE, AuthActions

LOCALES = ["es", "de", "zh"]


def english_on(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return [text for text in parser.texts if ENGLISH_WORDS.search(ALLOWED.sub("", text))]


def check(answer, what: str) -> None:
    html = answer.get_data(as_text=True)
    assert english_on(html) == [], f"English on {what}: {english_on(html)}"
    assert not INLINE_SCRIPT.search(html) and not INLINE_STYLE.search(html), what


@pytest.mark.parametrize("locale", LOCALES)
def test_every_account_security_page_is_translated(app, client, factory, clock, locale):
    user = factory.user()
    auth = AuthActions(client)
    check(client.get(f"/{locale}/password-reset"), "the reset form")
    check(post(client, f"/{locale}/password-reset", {"email": user.email}), "reset sent")
    link = link_in(outbox(app)[-1]).replace("/en/", f"/{locale}/")
    check(client.get(link), "the new password form")
    check(client.get(f"/{locale}/password-reset/used"), "the used link page")
    signed_up = post(client, f"/{locale}/signup", {"email": "n@example.com", "password": PASSWORD})
    check(signed_up, "sign-up sent")
    confirm = link_in(outbox(app)[-1])
    check(client.get(confirm), "sign-up confirmation")

    auth.login(user)
    for path in ("account", "account/password", "account/two-factor"):
        check(client.get(f"/{locale}/{path}"), path)
    secret = enrolment_secret(client)
    codes = post(client, f"/{locale}/account/two-factor", {"code": code_now(secret)})
    check(codes, "recovery codes")
    check(client.get(f"/{locale}/account/two-factor"), "second factor on")
    auth.logout()
    clock.advance(30)
    post(client, f"/{locale}/login", {"email": user.email, "password": PASSWORD})
    check(client.get(f"/{locale}/login/two-factor"), "the code step")
    check(post(client, f"/{locale}/login/two-factor", {"code": "000000"}), "a wrong code")
