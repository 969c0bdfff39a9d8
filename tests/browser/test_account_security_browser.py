"""Account security in Chromium: change the password, enrol TOTP, sign in in two steps.

Mail goes to an SMTP server of this module's own, so reset and sign-up links are followed
as a person would follow them. Each new page is also photographed at both widths and
checked by axe-core.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from browser_support import SCREENSHOTS, VIEWPORTS, axe_source, axe_violations, open_page
from playwright.sync_api import Page, expect

from support.browser import ConsoleSite, SharedConsole
from support.factory import PASSWORD
from support.mail import LINK, SmtpServer

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(scope="module")
def console_server_env(module_smtp) -> dict:
    """Mail to the module's SMTP server."""
    return {"FLASK_MAIL_SERVER": module_smtp.host, "FLASK_MAIL_PORT": str(module_smtp.port)}


def sign_in_form(page: Page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/en/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()


def mailed_link(smtp: SmtpServer, to: str) -> str:
    """The link in the last message to ``to``."""
    messages = smtp.messages_to(to)
    assert messages, f"no mail to {to}"
    (link,) = LINK.findall(messages[-1].get_content())
    return link


def enrol(page: Page, site: ConsoleSite) -> tuple[str, list[str]]:
    """Turn the second factor on through the page; the secret and the recovery codes."""
    page.goto(f"{site.url}/en/account/two-factor")
    expect(page.locator(".qr svg")).to_be_visible()
    page.locator("summary").click()
    secret = page.locator("dl.details dd code").first.inner_text().strip()
    uri = page.locator("dl.details dd code").nth(1).inner_text()
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    page.locator("form[action$='/account/two-factor'] #code").fill(pyotp.TOTP(secret).now())
    page.locator("form[action$='/account/two-factor'] button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Your recovery codes")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    return secret, codes


def test_changing_the_password_ends_a_second_browsers_session(
    shared_console: SharedConsole, browser_context
):
    site = shared_console.site()
    page, problems = open_page(browser_context)
    other, _ = open_page(browser_context)
    sign_in_form(other, site.url, site.user.email, PASSWORD)
    expect(other).to_have_url(f"{site.url}/en/api-keys")
    sign_in_form(page, site.url, site.user.email, PASSWORD)
    page.goto(f"{site.url}/en/account")
    page.get_by_role("link", name="Change password").click()
    page.locator("#current_password").fill(PASSWORD)
    page.locator("#new_password").fill(NEW_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#messages")).to_contain_text("1 other session was signed out")
    other.goto(f"{site.url}/en/api-keys")
    expect(other).to_have_url(re.compile(r"/en/login"))
    page.locator(".site-header form button").click()  # sign out
    sign_in_form(page, site.url, site.user.email, PASSWORD)
    expect(page.locator("main .notice-error")).to_contain_text("Wrong email or password.")
    sign_in_form(page, site.url, site.user.email, NEW_PASSWORD)
    expect(page).to_have_url(f"{site.url}/en/api-keys")
    # A refused form answers 422, which Chromium logs; scripts and the CSP must not complain.
    assert problems.errors == [] and problems.csp_violations() == []


def test_totp_enrolment_and_the_two_step_sign_in(shared_console: SharedConsole, browser_context):
    site = shared_console.site()
    page, problems = open_page(browser_context)
    sign_in_form(page, site.url, site.user.email, PASSWORD)
    secret, codes = enrol(page, site)
    page.get_by_role("link", name="I have saved them").click()
    page.locator(".site-header form button").click()

    sign_in_form(page, site.url, site.user.email, PASSWORD)
    expect(page).to_have_url(f"{site.url}/en/login/two-factor")
    page.goto(f"{site.url}/en/api-keys")  # the password alone gave no session
    expect(page).to_have_url(re.compile(r"/en/login"))

    sign_in_form(page, site.url, site.user.email, PASSWORD)
    page.locator("#code").fill("000000")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main .notice-error")).to_contain_text("That code is not right")
    # The next step's code: the one that confirmed enrolment may still be current.
    page.locator("#code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{site.url}/en/api-keys")
    page.locator(".site-header form button").click()

    # A recovery code signs in once, and only once.
    sign_in_form(page, site.url, site.user.email, PASSWORD)
    page.locator("#code").fill(codes[0])
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{site.url}/en/api-keys")
    page.locator(".site-header form button").click()
    sign_in_form(page, site.url, site.user.email, PASSWORD)
    page.locator("#code").fill(codes[0])
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main .notice-error")).to_contain_text("That code is not right")
    # A refused form answers 422, which Chromium logs; scripts and the CSP must not complain.
    assert problems.errors == [] and problems.csp_violations() == []


def test_a_mailed_reset_link_works_once(
    shared_console: SharedConsole, browser_context, module_smtp
):
    site = shared_console.site()
    page, _ = open_page(browser_context)
    page.goto(f"{site.url}/en/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.locator("#email").fill(site.user.email)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Check your email")
    link = mailed_link(module_smtp, site.user.email)
    page.goto(link)
    page.locator("#new_password").fill(NEW_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{site.url}/en/login")
    page.goto(link)
    expect(page.locator("h1")).to_have_text("This link was used or has expired")
    sign_in_form(page, site.url, site.user.email, NEW_PASSWORD)
    expect(page).to_have_url(f"{site.url}/en/api-keys")


def walk_account_states(page: Page, console: SharedConsole, smtp: SmtpServer, visit) -> None:
    """Each new page and state, ``visit(state)`` in each."""
    site = console.site()
    url = site.url
    page.goto(f"{url}/en/password-reset")
    visit("password-reset")
    page.locator("#email").fill(site.user.email)
    page.locator("main form button[type=submit]").click()
    visit("password-reset-sent")
    page.goto(mailed_link(smtp, site.user.email))
    visit("password-reset-new")
    page.goto(f"{url}/en/password-reset/not-a-link")
    visit("link-gone")
    page.goto(f"{url}/en/signup")
    email = f"new-{id(page)}@example.com"
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    visit("signup-sent")
    page.goto(mailed_link(smtp, email))
    visit("signup-confirm")

    sign_in_form(page, url, site.user.email, PASSWORD)
    page.goto(f"{url}/en/account")
    visit("account-security")
    page.goto(f"{url}/en/account/password")
    visit("change-password")
    page.locator("#current_password").fill("not my password")
    page.locator("#new_password").fill(NEW_PASSWORD)
    page.locator("main form button[type=submit]").click()
    visit("change-password-error")
    page.goto(f"{url}/en/account/two-factor")
    page.locator("summary").click()
    visit("two-factor-enrol")
    enrol(page, site)
    visit("recovery-codes")
    page.goto(f"{url}/en/account/two-factor")
    visit("two-factor-on")
    page.locator(".site-header form button").click()
    sign_in_form(page, url, site.user.email, PASSWORD)
    visit("login-two-factor")


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_screenshots_and_accessibility_of_every_new_state(
    shared_console, browser_context, module_smtp, width
):
    """Photograph each state (``make screenshots``); axe-core finds nothing; none overflows."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    source = axe_source()
    page, _ = open_page(browser_context, viewport=VIEWPORTS[width], bypass_csp=True)
    found: dict[str, list[str]] = {}
    overflowing: dict[str, int] = {}

    def visit(state: str) -> None:
        page.locator("body").evaluate("body => document.activeElement?.blur()")
        page.screenshot(path=SCREENSHOTS / f"account-{state}-{width}.png", full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            overflowing[state] = overflow
        violations = axe_violations(page, source)
        if violations:
            found[state] = violations

    walk_account_states(page, shared_console, module_smtp, visit)
    report = "\n".join(f"{state}:\n  " + "\n  ".join(lines) for state, lines in found.items())
    assert found == {}, f"axe-core found violations:\n{report}"
    assert overflowing == {}, f"these states scroll sideways (px): {overflowing}"
