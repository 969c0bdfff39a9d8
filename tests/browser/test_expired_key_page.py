"""An expired key's page in Chromium: it says the key is refused and what can be done.

A replacement with the same settings (the create form filled in), or Revoke.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from browser_support import call_api, open_page, revealed_key, sign_in
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_an_expired_keys_page_offers_a_replacement_with_its_settings_and_revoke(
    shared_console, browser_context, javascript
):
    site = shared_console.site()
    key_id, old_key = shared_console.factory.key(
        site.user,
        "Nightly export",
        access="restricted",
        permissions="endpoint=write,keys=read",
        description="Exports for the reports team",
        allowed_networks="203.0.113.0/24",
        rate_limit="10 per minute",
        expires_in=timedelta(days=30),
    )
    shared_console.factory.expire(key_id)
    page, problems = open_page(browser_context, java_script_enabled=javascript)
    sign_in(page, site)
    page.goto(f"{site.url}/en/api-keys/{key_id}")

    expired = page.locator("section", has=page.get_by_role("heading", name="This key has expired"))
    expect(expired).to_contain_text("requests using it are refused (401)")
    expired.get_by_role("link", name="Create a replacement").click()
    expect(page.get_by_role("heading", name="Create a key", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("A replacement for “Nightly export”")
    form = page.locator("form[data-create-form]")
    expect(form.get_by_label("Name")).to_have_value("Nightly export")
    expect(form.locator("#key-access")).to_have_value("restricted")
    expect(form.locator("#key-permission-endpoint")).to_have_value("write")
    expect(form.locator("#key-permission-keys")).to_have_value("read")
    expect(form.locator("#key-permission-admin")).to_have_value("none")
    expect(form.locator("#key-description")).to_have_value("Exports for the reports team")
    expect(form.locator("#key-networks")).to_have_value("203.0.113.0/24")
    expect(form.locator("#key-rate-limit")).to_have_value("10 per minute")
    expect(form.locator("#key-expires-in")).not_to_have_value("never")
    form.get_by_role("button", name="Create key").click()
    new_key = revealed_key(page)
    assert new_key.startswith("ck_") and new_key != old_key

    # Revoke, from the expired key's page: it then says so.
    page.goto(f"{site.url}/en/api-keys/{key_id}")
    page.get_by_role("button", name="Revoke key").click()
    expect(page.locator("#messages")).to_contain_text("Key “Nightly export” revoked.")
    expect(page.locator(".page-head")).to_contain_text("Revoked")
    expect(page.get_by_role("heading", name="This key has expired")).to_have_count(0)
    assert call_api(site, old_key).status_code == 401
    if javascript:
        assert problems.console_errors() == []
