"""The admin's page of one user, in Chromium: their keys in pages, their role and account.

Each key with its status, access, last use and expiry; Previous and Next; the role saved
and the user deactivated (after the confirmation) and reactivated from that page.
"""

from __future__ import annotations

import pytest
from browser_support import call_api, make_keys, open_page, sign_in
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]

DASH = "\N{EN DASH}"


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_a_users_page_lists_their_keys_in_pages_and_holds_role_and_deactivate(
    shared_console, browser_context, javascript
):
    admin = shared_console.site(role="admin")
    member = shared_console.site()
    keys = make_keys(shared_console.factory, member.user, 55)
    page, problems = open_page(browser_context, java_script_enabled=javascript)
    sign_in(page, admin)
    page.goto(f"{admin.url}/en/admin/users/{member.user.id}")
    email = member.user.email

    keys_card = page.locator("section", has=page.get_by_role("heading", name="Their keys"))
    expect(keys_card.locator("thead")).to_contain_text("Access")
    expect(keys_card.locator("thead")).to_contain_text("Last used")
    expect(keys_card.locator("thead")).to_contain_text("Expires")
    expect(page.locator("#user-keys-summary")).to_have_text(f"1{DASH}50 of 55 keys")
    newest = keys_card.locator("tbody tr").first
    expect(newest.locator("th")).to_have_text("Service 055")
    expect(newest).to_contain_text("Full access")
    expect(newest).to_contain_text("Never")
    expired = page.locator("tbody tr", has=page.locator("th", has_text="Service 050"))
    expect(expired).to_contain_text("Expired")
    expect(expired.locator("td[data-label=Expires] time")).to_have_count(1)
    expect(keys_card.get_by_role("link", name="Previous")).to_have_count(0)
    keys_card.get_by_role("link", name="Next").click()
    expect(page.locator("#user-keys-summary")).to_have_text(f"51{DASH}55 of 55 keys")
    expect(page.locator("tbody tr").last.locator("th")).to_have_text("Service 001")
    page.get_by_role("link", name="Previous").click()
    expect(page.locator("#user-keys-summary")).to_have_text(f"1{DASH}50 of 55 keys")

    # The role, saved here, and the page says what it did to their keys.
    page.get_by_label("Role", exact=True).select_option("premium")
    page.get_by_role("button", name="Save role").click()
    expect(page.locator("#messages")).to_contain_text(f"Saved: {email} is now premium.")
    expect(page.locator("#messages")).to_contain_text("now draw on the premium budget")
    expect(page.get_by_role("heading", name=email, level=1)).to_be_visible()
    expect(page.locator(".page-head")).to_contain_text("premium")

    # Deactivate asks first, on its page; Cancel comes back here.
    page.get_by_role("link", name=f"Deactivate {email}").click()
    expect(page.get_by_role("heading", name="Deactivate a user", level=1)).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name=email, level=1)).to_be_visible()
    page.get_by_role("link", name=f"Deactivate {email}").click()
    page.get_by_role("button", name="Deactivate").click()
    expect(page.locator("#messages")).to_contain_text(f"{email} is deactivated")
    expect(page.get_by_role("heading", name=email, level=1)).to_be_visible()
    assert call_api(member, keys["Service 001"]).status_code == 401
    page.get_by_role("button", name=f"Reactivate {email}").click()
    expect(page.locator("#messages")).to_contain_text(f"{email} is active again")
    expect(page.get_by_role("heading", name=email, level=1)).to_be_visible()
    assert call_api(member, keys["Service 001"]).status_code == 200
    if javascript:
        assert problems.console_errors() == []
