"""The keys page with many keys, in a real Chromium.

Counts that follow each change in place, a role notice that stays short, and pages that
keep the user where they were.

The module shares one gunicorn; each test signs in as a user of its own.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from browser_support import (
    VIEWPORTS,
    count_page_loads,
    create_control,
    key_row,
    make_keys,
    mark_document,
    open_create_form,
    open_page,
    sign_in,
    still_same_document,
    submit_create_form,
)
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]

DASH = "\N{EN DASH}"  # between the first and last row of a page
CAP = 100  # MAX_ACTIVE_KEYS_PER_USER's default, which the shared server keeps


def test_revoking_and_creating_at_the_cap_update_the_count_notice_and_create_in_place(
    shared_console, browser_context
):
    site = shared_console.site()
    for number in range(1, CAP + 1):
        shared_console.factory.key(site.user, f"Worker {number:03d}")
    page, problems = open_page(browser_context)
    sign_in(page, site)
    count = page.locator("#create-control .count")
    expect(count).to_have_text("100 of 100 active keys")
    expect(page.locator("#at-limit")).to_be_visible()
    expect(page.locator("#create-control button.primary")).to_be_disabled()
    mark_document(page)
    loads = count_page_loads(page)

    # Revoke one from its row: the count, the notice and Create follow in the same swap.
    row = key_row(page, "Worker 100")
    row.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke key").click()
    expect(key_row(page, "Worker 100")).to_contain_text("Revoked")
    expect(count).to_have_text("99 of 100 active keys")
    expect(page.locator("#at-limit")).to_have_count(0)
    expect(create_control(page)).to_be_enabled()

    # The new Create control works (htmx took it in), and creating reaches the cap again.
    open_create_form(page)
    assert submit_create_form(page, "Worker 101").status == 200
    expect(count).to_have_text("100 of 100 active keys")
    expect(page.locator("#at-limit")).to_be_visible()
    expect(page.locator("#create-control button.primary")).to_be_disabled()
    assert still_same_document(page) and loads == [], "the page was loaded again"
    assert problems.console_errors() == []


@pytest.fixture(scope="module")
def crowded(shared_console):
    """A user with 120 keys (84 active, all full access) and a read-only one, then promoted.

    Keys "Service 001"... (every fourth revoked, every tenth of the rest expired), then
    "Reader" (read-only, expiring in 30 days); then the role rises to premium.
    """
    site = shared_console.site()
    make_keys(shared_console.factory, site.user, 120)
    shared_console.factory.key(site.user, "Reader", access="read", expires_in=timedelta(days=30))
    shared_console.factory.set_role(site.user, "premium")
    return site


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_role_notice_counts_every_empowered_key_stays_short_and_links_to_them(
    crowded, browser_context, viewport
):
    page, problems = open_page(browser_context, viewport=VIEWPORTS[viewport])
    sign_in(page, crowded)
    notice = page.locator("section.notice", has=page.locator("#role-notice-heading"))
    expect(notice.get_by_role("heading")).to_have_text("Your role changed from standard to premium")
    expect(notice).to_contain_text("84 keys made before the change now act as")
    expect(notice).to_contain_text("and 81 more")
    height = notice.evaluate("notice => notice.getBoundingClientRect().height")
    assert height < 300, f"the notice is {height} px tall"

    notice.get_by_role("link", name="Review all 84 keys").click()
    expect(page.locator("#keys-summary")).to_contain_text(f"1{DASH}50 of 84 keys")
    expect(page.locator("#keys tbody tr", has_text="Revoked")).to_have_count(0)
    expect(page.locator("#keys tbody tr", has_text="Reader")).to_have_count(0)
    page.get_by_role("link", name="Next").click()
    expect(page.locator("#keys-summary")).to_contain_text(f"51{DASH}84 of 84 keys")
    assert problems.console_errors() == []


def test_pages_say_where_they_are_keep_focus_at_the_top_and_sort_and_filter(
    crowded, browser_context
):
    page, problems = open_page(browser_context, viewport=VIEWPORTS["desktop"])
    sign_in(page, crowded)
    summary = page.locator("#keys-summary")
    expect(summary).to_have_text(f"1{DASH}50 of 121 keys")
    expect(page.get_by_role("link", name="Previous")).to_have_count(0)

    # Next, from the bottom of the page: focus and view go to the top of the results.
    next_link = page.get_by_role("link", name="Next")
    next_link.scroll_into_view_if_needed()
    next_link.click()
    expect(summary).to_have_text(f"51{DASH}100 of 121 keys")
    expect(summary).to_be_focused()
    top = page.locator("#keys").evaluate("keys => keys.getBoundingClientRect().top")
    assert -1 <= top < 50, f"the results start {top} px from the top of the window"
    page.get_by_role("link", name="Next").click()
    expect(summary).to_have_text(f"101{DASH}121 of 121 keys")
    page.get_by_role("link", name="Previous").click()
    expect(summary).to_have_text(f"51{DASH}100 of 121 keys")
    expect(summary).to_be_focused()

    toolbar = page.locator("#keys form.toolbar")
    toolbar.get_by_label("Sort").select_option("name")
    expect(page.locator("#keys tbody th.key-name a").first).to_contain_text("Reader")
    expect(page.locator("#live-region")).to_have_text(f"1{DASH}50 of 121 keys")
    toolbar.get_by_label("Sort").select_option("expires")
    expect(page.locator("#keys tbody th.key-name a").first).to_contain_text("Service 010")
    toolbar.get_by_label("Access").select_option("read")
    expect(summary).to_have_text(f"1{DASH}1 of 1 key")
    expect(page.locator("#live-region")).to_have_text(f"1{DASH}1 of 1 key")
    assert problems.console_errors() == []
