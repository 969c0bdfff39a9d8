"""The console at /api-keys in a real headless Chromium, against a real gunicorn.

Each test signs in through /login like a person would and drives the page with clicks:
the HTMX journey (create a key, see it once, revoke it in place), the same journey with
JavaScript off (plain forms and redirects), the strict Content-Security-Policy, the 422 on
a bad name, an expired session on an HTMX request, and the screenshots a reviewer reads in
docs/screenshots/. The keys are then tried against /api/endpoint with ``requests``.
"""

from __future__ import annotations

import re

import pytest
from browser_support import (
    INJECT_INLINE_SCRIPT,
    SCREENSHOTS,
    VIEWPORTS,
    call_api,
    count_page_loads,
    key_row,
    mark_document,
    mentions_csp,
    open_create_form,
    open_page,
    sign_in,
    still_same_document,
    submit_create_form,
)
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.gunicorn,
    # One database is enough for a browser: the console's SQL is tested on both elsewhere.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def test_created_key_is_shown_once_and_row_appears_without_navigation(
    console_site, browser_context
):
    page, problems = open_page(browser_context)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, console_site)
    expect(page.get_by_text("No API keys yet")).to_be_visible()
    mark_document(page)
    loads = count_page_loads(page)

    open_create_form(page)
    answer = submit_create_form(page, "Mobile App")

    assert answer.status == 200
    assert answer.headers["cache-control"] == "no-store"
    reveal = page.locator("#reveal")
    expect(reveal).to_be_visible()
    expect(reveal).to_be_focused()
    expect(reveal).to_contain_text("you will not see it again")
    secret = page.get_by_label("Your new API key").input_value()
    assert re.fullmatch(r"ck_[A-Za-z0-9_]+", secret) and len(secret) <= 72
    row = key_row(page, "Mobile App")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("Never")
    expect(row).not_to_contain_text(secret)
    expect(page.locator("#live-region")).to_have_text("Key created")
    assert still_same_document(page), "creating a key loaded a new page"
    assert loads == []

    copy = reveal.get_by_role("button", name="Copy")
    expect(copy).to_be_visible()
    copy.click()
    # Its accessible name changes to "Copied" for two seconds: find it by what it copies.
    expect(reveal.locator("button[data-copy^='#new-key']")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret

    used = call_api(console_site, secret)
    assert used.status_code == 200, used.text
    assert used.json()["key"]["name"] == "Mobile App"

    reloaded = page.reload()
    assert reloaded is not None and reloaded.status == 200
    assert secret not in reloaded.text()
    assert secret not in page.content()
    expect(page.locator("#reveal")).to_have_count(0)
    expect(row).to_contain_text("Mobile App")
    mark_document(page)

    row.get_by_role("link", name="Revoke Mobile App").click()
    confirmation = page.locator("#keys tr.confirm-row")
    expect(confirmation).to_contain_text("Revoke “Mobile App”")
    expect(confirmation).to_contain_text("Revoked keys cannot be restored")
    confirmation.get_by_role("button", name="Revoke key").click()

    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("link", name=re.compile("Revoke"))).to_have_count(0)
    expect(page.locator("#keys tr.confirm-row")).to_have_count(0)
    expect(page.locator("#live-region")).to_have_text("Key revoked")
    assert still_same_document(page), "revoking a key loaded a new page"

    refused = call_api(console_site, secret)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"
    assert problems.csp_violations() == []
    assert problems.console_errors() == []


def test_console_journey_works_with_javascript_disabled(console_site, browser_context):
    page, problems = open_page(browser_context, java_script_enabled=False)
    sign_in(page, console_site)

    page.locator(".page-head").get_by_role("link", name="Create New Key").click()
    expect(page).to_have_url(f"{console_site.url}/api-keys/create")
    page.get_by_label("Name").fill("Mobile App")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Create key").click()

    created = navigation.value
    assert created is not None and created.status == 200
    assert created.request.redirected_from is None, "the key page must not be a redirect"
    assert created.headers["cache-control"] == "no-store"
    expect(page.get_by_role("heading", name="Key created", level=1)).to_be_visible()
    expect(page.locator("#reveal")).to_contain_text("you will not see it again")
    expect(page.locator("#reveal").get_by_role("button", name="Copy")).to_be_visible()
    secret = page.get_by_label("Your new API key").input_value()
    assert secret.startswith("ck_")
    expect(key_row(page, "Mobile App")).to_contain_text("Active")
    assert call_api(console_site, secret).status_code == 200

    page.get_by_role("link", name="Done, I have saved it").click()
    expect(page).to_have_url(f"{console_site.url}/api-keys")
    assert secret not in page.content()
    page.reload()
    assert secret not in page.content()

    key_row(page, "Mobile App").get_by_role("link", name="Revoke Mobile App").click()
    expect(page).to_have_url(re.compile(r"/en/api-keys/[^/]+/revoke$"))
    expect(page.get_by_role("heading", name="Revoke this key?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Revoke “Mobile App”")
    expect(page.locator("main")).to_contain_text("Revoked keys cannot be restored")
    page.get_by_role("button", name="Revoke key").click()

    expect(page).to_have_url(f"{console_site.url}/api-keys")
    expect(page.locator("#messages")).to_contain_text("Key “Mobile App” revoked")
    row = key_row(page, "Mobile App")
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("link", name=re.compile("Revoke"))).to_have_count(0)
    assert call_api(console_site, secret).status_code == 401
    assert problems.errors == []


def test_console_works_under_a_strict_csp_without_violations(console_site, browser_context):
    page, problems = open_page(browser_context)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, console_site)
    console = page.reload()
    assert console is not None
    policy = console.headers["content-security-policy"]
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip()
    )
    assert "'self'" in directives["script-src"]
    assert "'self'" in directives["style-src"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'"

    # Every script-driven control once: create, copy, dismiss, revoke-then-cancel, revoke.
    open_create_form(page)
    submit_create_form(page, "CSP check")
    page.locator("#reveal").get_by_role("button", name="Copy").click()
    expect(page.locator("#reveal").get_by_role("button", name="Copied")).to_be_visible()
    page.get_by_role("link", name="Done, I have saved it").click()
    expect(page.locator("#reveal")).to_have_count(0)
    row = key_row(page, "CSP check")
    row.get_by_role("link", name="Revoke CSP check").click()
    page.locator("tr.confirm-row").get_by_role("link", name="Cancel").click()
    expect(row.get_by_role("link", name="Revoke CSP check")).to_be_visible()
    row.get_by_role("link", name="Revoke CSP check").click()
    page.get_by_role("button", name="Revoke key").click()
    expect(row).to_contain_text("Revoked")

    assert problems.csp_violations() == []
    assert problems.console_errors() == []

    # And the browser does enforce the policy: an inline script is refused, and reported.
    with page.expect_console_message(lambda message: mentions_csp(message.text)):
        page.evaluate(INJECT_INLINE_SCRIPT)
    assert page.evaluate("window.__inlineScriptRan") is None
    assert problems.csp_violations() != []


def test_blank_or_too_long_name_rerenders_the_form_with_its_message(console_site, browser_context):
    page, problems = open_page(browser_context)
    sign_in(page, console_site)
    mark_document(page)
    open_create_form(page)
    message = page.locator("#create-panel .field-error")

    # Spaces get past the browser's `required` check, so the server has to say no.
    blank = submit_create_form(page, "   ")
    assert blank.status == 422
    expect(message).to_be_visible()
    expect(message).to_contain_text("Give the key a name")
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")

    # The field's maxlength stops a person typing more; a client that ignores it is refused.
    page.get_by_label("Name").evaluate("field => field.removeAttribute('maxlength')")
    too_long = submit_create_form(page, "x" * 101)
    assert too_long.status == 422
    expect(message).to_be_visible()
    expect(message).to_contain_text("at most 100 characters")

    # The re-rendered form is the panel's form, not a whole page nested inside it.
    expect(page.locator(".site-header")).to_have_count(1)
    expect(page.locator("#create-panel form")).to_have_count(1)
    expect(page.locator("#keys tbody tr")).to_have_count(0)
    assert still_same_document(page)

    fixed = submit_create_form(page, "Mobile App")
    assert fixed.status == 200
    expect(page.locator("#reveal")).to_be_visible()
    expect(key_row(page, "Mobile App")).to_have_count(1)
    assert problems.csp_violations() == []


def test_expired_session_on_htmx_request_goes_to_the_sign_in_page(console_site, browser_context):
    page, problems = open_page(browser_context)
    sign_in(page, console_site)
    mark_document(page)

    page.context.clear_cookies()
    page.locator(".page-head").get_by_role("link", name="Create New Key").click()

    # Back to the page the person was on, not to the fragment htmx asked for.
    expect(page).to_have_url(f"{console_site.url}/login?next=/en/api-keys")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    expect(page.locator(".site-header")).to_have_count(1)
    expect(page.locator("#create-panel")).to_have_count(0)
    assert not still_same_document(page), "the sign-in page was swapped into the console"

    # Signing in again continues where the person was.
    page.get_by_label("Email").fill(console_site.user.email)
    page.get_by_label("Password").fill(console_site.user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{console_site.url}/api-keys")
    expect(page.get_by_role("heading", name="API keys", level=1)).to_be_visible()
    assert problems.csp_violations() == []


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_screenshots_of_the_console(console_site, browser_context, factory, width):
    """Save the console's states to docs/screenshots/ for reviewers (and check they render)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page, problems = open_page(browser_context, viewport=VIEWPORTS[width])

    def shoot(state: str) -> None:
        page.screenshot(path=SCREENSHOTS / f"console-{state}-{width}.png", full_page=True)

    sign_in(page, console_site)
    expect(page.get_by_text("No API keys yet")).to_be_visible()
    shoot("empty")

    _, nightly = factory.key(console_site.user, "Nightly backup")
    factory.key(console_site.user, "Staging server")
    assert call_api(console_site, nightly).status_code == 200  # so "Last used" has a time
    page.reload()
    open_create_form(page)
    shoot("create-form")
    submit_create_form(page, "Mobile App")
    expect(page.locator("#reveal")).to_be_visible()
    shoot("reveal")

    page.get_by_role("link", name="Done, I have saved it").click()
    expect(page.locator("#keys tbody tr")).to_have_count(3)
    shoot("with-keys")

    key_row(page, "Staging server").get_by_role("link", name="Revoke Staging server").click()
    expect(page.locator("tr.confirm-row")).to_contain_text("Revoked keys cannot be restored")
    shoot("confirm-revoke")
    page.get_by_role("button", name="Revoke key").click()
    expect(key_row(page, "Staging server")).to_contain_text("Revoked")
    page.locator("body").click(position={"x": 1, "y": 1})  # no focus ring in the picture
    shoot("revoked")

    if width == "phone":
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the phone layout scrolls sideways by {overflow}px"
    assert problems.csp_violations() == []
