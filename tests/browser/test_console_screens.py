"""Every console page and state, at a desktop's and a phone's width: pictures and axe-core.

One walk visits each state a person meets (signed out, empty, creating, a key revealed,
confirming, revoked, errors, a long list, a key's page, activity, the admin pages). The
screenshot test saves each state (to docs/screenshots/ under `make screenshots`); the
accessibility test runs axe-core (every rule, any impact) in each state and fails on any violation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from browser_support import (
    SCREENSHOTS,
    VIEWPORTS,
    axe_source,
    axe_violations,
    call_api,
    key_row,
    make_keys,
    no_sideways_scroll,
    open_create_form,
    open_page,
    sign_in,
    submit_create_form,
)
from playwright.sync_api import Locator, Page, expect

from support.browser import SharedConsole

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]


@pytest.fixture(scope="module")
def console_server_env() -> dict:
    """Usage written every second (the chart has bars); one proxy believed (new networks)."""
    return {"FLASK_USAGE_FLUSH_SECONDS": "1", "FLASK_TRUSTED_PROXY_COUNT": "1"}


def walk_every_state(page: Page, console: SharedConsole, visit: Callable[[str], None]) -> None:
    """Drive the console through each state, calling ``visit(state)`` in each."""
    site = console.site()
    url = site.url

    page.goto(f"{url}/en/login")
    visit("sign-in")
    page.locator("#email").fill(site.user.email)
    page.locator("#password").fill("not the password")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main .notice-error")).to_be_visible()
    visit("sign-in-error")
    page.goto(f"{url}/en/signup")
    visit("sign-up")

    sign_in(page, site)
    expect(page.locator(".empty-state")).to_be_visible()
    visit("empty")

    open_create_form(page)
    visit("create-form")
    submit_create_form(page, "   ")
    expect(page.locator("#create-error")).to_be_visible()
    visit("create-form-error")
    submit_create_form(page, "Mobile App", expires_in="30", access="read")
    expect(page.locator("[data-reveal]")).to_be_visible()
    visit("reveal")

    _, nightly = console.factory.key(site.user, "Nightly backup")
    console.factory.key(site.user, "Staging server")
    assert call_api(site, nightly).status_code == 200  # "Last used" gets a time
    page.once("dialog", lambda dialog: dialog.accept())
    page.reload()
    expect(page.locator("#keys tbody tr")).to_have_count(3)
    visit("list")

    key_row(page, "Staging server").locator("td.actions a").click()
    expect(page.locator("#keys tr.confirm-row")).to_be_visible()
    visit("confirm-revoke")
    page.locator("#keys tr.confirm-row button[type=submit]").click()
    expect(key_row(page, "Staging server")).to_contain_text("Revoked")
    visit("revoked")

    # The server out of reach: the visible message with Retry.
    page.route("**/en/api-keys/*/revoke", lambda route: route.abort())
    key_row(page, "Nightly backup").locator("td.actions a").click()
    expect(page.locator("#messages .notice-error")).to_be_visible()
    visit("unreachable")
    page.unroute("**/en/api-keys/*/revoke")

    page.goto(f"{url}/en/api-keys/create")
    visit("create-page")
    page.goto(f"{url}/en/api-keys")
    revoke_page = key_row(page, "Nightly backup").locator("td.actions a").get_attribute("href")
    page.goto(f"{url}{revoke_page}")
    visit("revoke-page")

    page.goto(f"{url}/en/api-keys")
    key_row(page, "Nightly backup").locator("th a").click()
    expect(page.locator(".chart svg rect.bar-requests")).to_have_count(30)
    visit("key-page")
    page.locator("#grace").select_option("1h")
    page.locator(".rotate-form button[type=submit]").click()
    expect(page.locator("#rotate-panel [data-reveal]")).to_be_visible()
    visit("rotated")

    page.goto(f"{url}/en/activity")
    visit("activity")
    page.goto(f"{url}/en/account")
    visit("account")
    page.goto(f"{url}/en/no-such-page")
    visit("not-found")

    crowded = console.site()
    make_keys(console.factory, crowded.user, 120)
    page.context.clear_cookies()
    sign_in(page, crowded)
    expect(page.locator("#keys tbody tr")).to_have_count(50)
    visit("many-keys")

    admin = console.site(role="admin")
    page.context.clear_cookies()
    sign_in(page, admin)
    page.goto(f"{url}/en/admin/users")
    visit("admin-users")
    page.goto(f"{url}/en/admin/users/{site.user.id}")
    visit("admin-user")
    page.goto(f"{url}/en/admin/users/{site.user.id}/deactivate")
    visit("deactivate")
    page.goto(f"{url}/en/admin/audit")
    visit("admin-audit")

    # Notices: a key used from a new network, and keys that gained power with a role.
    noticed = console.site()
    _, used = console.factory.key(noticed.user, "Billing sync")
    assert call_api(noticed, used).status_code == 200
    assert call_api(noticed, used, **{"X-Forwarded-For": "203.0.113.7"}).status_code == 200
    console.factory.set_role(noticed.user, "premium")
    page.context.clear_cookies()
    sign_in(page, noticed)
    expect(page.locator("#network-notice-heading")).to_be_visible()
    expect(page.locator("#role-notice-heading")).to_be_visible()
    visit("notices")

    # The keys the role notice lists, with checkboxes: some selected, then the confirmation.
    page.goto(f"{url}/en/api-keys?raised=1")
    key_row(page, "Billing sync").get_by_role("checkbox").check()
    visit("selection")
    page.get_by_role("button", name="Revoke selected").click()
    expect(page.locator("#selection-confirm")).to_be_visible()
    visit("selection-confirm")

    # An expired key's page, and the replacement it offers.
    expired_id, _ = console.factory.key(noticed.user, "Old export", expires_in=timedelta(days=7))
    console.factory.expire(expired_id)
    page.goto(f"{url}/en/api-keys/{expired_id}")
    visit("expired-key")
    page.get_by_role("link", name="Create a replacement").click()
    expect(page.locator("form[data-create-form]")).to_be_visible()
    visit("replacement")


def centre_offset(element: Locator) -> float:
    """How far ``element``'s middle is from the middle of the page's width (px)."""
    return element.evaluate(
        """element => {
            const box = element.getBoundingClientRect();
            return Math.abs(box.left + box.width / 2 - document.documentElement.clientWidth / 2);
        }"""
    )


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_screenshots_of_every_state(shared_console, browser_context, width):
    """Save each state (``make screenshots``: to docs/screenshots/); none scrolls sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page, problems = open_page(browser_context, viewport=VIEWPORTS[width])
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    overflowing, off_centre = {}, {}

    def shoot(state: str) -> None:
        page.locator("body").evaluate("body => document.activeElement?.blur()")
        page.screenshot(path=SCREENSHOTS / f"console-{state}-{width}.png")
        if (overflow := no_sideways_scroll(page)) > 0:
            overflowing[state] = overflow
        # Sign-in, sign-up, error and confirmation cards stand in the middle of the page.
        for card in page.locator("main .narrow").all():
            if (shift := centre_offset(card)) > 1:
                off_centre[state] = shift

    walk_every_state(page, shared_console, shoot)
    assert overflowing == {}, f"these states scroll sideways (px): {overflowing}"
    assert off_centre == {}, f"these cards are off centre (px): {off_centre}"
    assert problems.csp_violations() == []


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_no_accessibility_violation_in_any_state(shared_console, browser_context, width):
    """axe-core finds nothing, at any impact, in any state (a new violation fails here)."""
    source = axe_source()
    # The CSP forbids inline scripts, axe's included: this context alone bypasses it.
    page, _ = open_page(browser_context, viewport=VIEWPORTS[width], bypass_csp=True)
    found: dict[str, list[str]] = {}

    def check(state: str) -> None:
        violations = axe_violations(page, source)
        if violations:
            found[state] = violations

    walk_every_state(page, shared_console, check)
    report = "\n".join(f"{state}:\n  " + "\n  ".join(lines) for state, lines in found.items())
    assert found == {}, f"axe-core found violations:\n{report}"
