"""A key shown once stays gone: Back after navigating away or signing out shows no key.

Chromium keeps pages in its back/forward cache unless told not to; every console page says
``Cache-Control: no-store``, and console.js drops a reveal from any page restored anyway.
"""

from __future__ import annotations

import pytest
from browser_support import open_create_form, open_page, sign_in, submit_create_form
from playwright.sync_api import Page, expect

from support.browser import new_context

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]


def reveal_a_key(page: Page) -> str:
    """Create a key with htmx and return the key the page reveals."""
    # Until the page has loaded, htmx may not be running and the form would post natively,
    # leaving a history entry Back cannot show again (net::ERR_CACHE_MISS) on a busy machine.
    page.wait_for_load_state("load")
    open_create_form(page)
    page.wait_for_load_state("load")
    answer = submit_create_form(page, "Back button")
    assert answer.request.header_value("HX-Request") == "true"
    return page.get_by_label("Your new API key").input_value()


def assert_no_key_anywhere(page: Page, key: str) -> None:
    page.wait_for_load_state("load")
    expect(page.locator("#reveal")).to_have_count(0)
    assert key not in page.content()
    assert page.evaluate("(key) => !document.documentElement.outerHTML.includes(key)", key)


@pytest.mark.parametrize("leave", ["another page", "sign out"])
def test_back_after_a_reveal_shows_no_key(shared_console, browser_with_history_cache, leave):
    context = new_context(browser_with_history_cache)
    page, _ = open_page(lambda: context)
    sign_in(page, shared_console.site())
    key = reveal_a_key(page)
    page.on("dialog", lambda dialog: dialog.accept())  # "leave this page?": yes
    if leave == "another page":
        page.get_by_role("link", name="Account").click()
        expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    else:
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.go_back()
    assert_no_key_anywhere(page, key)
    page.go_forward()
    page.go_back()
    assert_no_key_anywhere(page, key)
    context.close()
