"""Revoking or narrowing several keys at once, from the role notice's list, in Chromium.

With htmx the list, the count of active keys and the role notice change in one swap; without
JavaScript a confirmation page and a redirect do the same. Another user's key is refused.
"""

from __future__ import annotations

import pytest
from browser_support import (
    call_api,
    count_page_loads,
    key_row,
    mark_document,
    open_page,
    sign_in,
    still_same_document,
)
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]

DASH = "\N{EN DASH}"


def promoted(shared_console, full_keys: int, role: str = "premium"):
    """A user with ``full_keys`` full keys ("Service 01"...) and a read-only one, promoted."""
    site = shared_console.site()
    keys = {}
    for number in range(1, full_keys + 1):
        name = f"Service {number:02d}"
        keys[name] = shared_console.factory.key(site.user, name)[1]
    shared_console.factory.key(site.user, "Reader", access="read")
    shared_console.factory.set_role(site.user, role)
    return site, keys


def select(page, name: str) -> None:
    key_row(page, name).get_by_role("checkbox").check()


def test_selected_keys_are_narrowed_then_all_revoked_in_place(shared_console, browser_context):
    site, keys = promoted(shared_console, 55)
    page, problems = open_page(browser_context)
    sign_in(page, site)
    notice = page.locator("#role-notice-slot")
    expect(notice).to_contain_text("55 keys made before the change now act as premium too")
    notice.get_by_role("link", name="Review all 55 keys").click()
    summary = page.locator("#keys-summary")
    expect(summary).to_contain_text(f"1{DASH}50 of 55 keys")
    mark_document(page)
    loads = count_page_loads(page)

    # Two rows ticked, made read-only: asked first, then the list, notice and count follow.
    select(page, "Service 55")
    select(page, "Service 54")
    page.get_by_role("button", name="Make selected read-only").click()
    question = page.locator("#selection-confirm")
    expect(question).to_contain_text("Make these 2 keys read-only?")
    expect(question).to_contain_text("Service 55")
    page.get_by_role("button", name="Make 2 keys read-only").click()
    expect(page.locator("#keys .notice-success")).to_have_text("2 keys are now read-only.")
    expect(page.locator("#keys .notice-success")).to_be_focused()
    expect(summary).to_contain_text(f"1{DASH}50 of 53 keys")
    expect(notice).to_contain_text("53 keys made before the change now act as premium too")
    expect(page.locator("#create-control .count")).to_have_text("56 of 100 active keys")
    assert call_api(site, keys["Service 55"]).status_code == 403  # a read-only key's POST
    assert call_api(site, keys["Service 01"]).status_code == 200

    # "Select all" takes every page's keys (53, not the 50 shown); Cancel changes nothing.
    page.get_by_label("Select all 53 keys").check()
    expect(key_row(page, "Service 53").get_by_role("checkbox")).to_be_checked()
    page.get_by_role("button", name="Revoke selected").click()
    expect(page.locator("#selection-confirm")).to_contain_text("Revoke these 53 keys?")
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("#selection-confirm")).to_have_count(0)
    assert call_api(site, keys["Service 01"]).status_code == 200
    page.get_by_label("Select all 53 keys").check()
    page.get_by_role("button", name="Revoke selected").click()
    page.get_by_role("button", name="Revoke 53 keys").click()
    expect(page.locator("#keys .notice-success")).to_contain_text("53 keys revoked.")
    expect(page.locator("#role-notice-heading")).to_have_count(0)
    expect(summary).to_contain_text("No keys match.")
    expect(page.locator("#create-control .count")).to_have_text("3 of 100 active keys")
    assert call_api(site, keys["Service 01"]).status_code == 401
    assert still_same_document(page) and loads == [], "the page was loaded again"
    assert problems.console_errors() == []


def test_an_admin_removes_admin_access_from_selected_keys(shared_console, browser_context):
    site, keys = promoted(shared_console, 3, role="admin")
    page, problems = open_page(browser_context)
    sign_in(page, site)
    page.goto(f"{site.url}/en/api-keys?raised=1")
    select(page, "Service 01")
    page.get_by_role("button", name="Remove admin access from selected").click()
    page.get_by_role("button", name="Remove admin access from 1 key").click()
    expect(page.locator("#keys .notice-success")).to_have_text(
        "1 key no longer reaches the admin endpoints."
    )
    expect(page.locator("#role-notice-slot")).to_contain_text("2 keys made before the change")
    # It still does everything else.
    assert call_api(site, keys["Service 01"]).status_code == 200
    assert problems.console_errors() == []


def test_without_javascript_a_selection_is_confirmed_on_a_page_then_revoked(
    shared_console, browser_context
):
    site, keys = promoted(shared_console, 4)
    page, _ = open_page(browser_context, java_script_enabled=False)
    sign_in(page, site)
    page.get_by_role("link", name="Review all 4 keys").click()

    page.get_by_role("button", name="Revoke selected").click()  # nothing ticked
    expect(page.locator("#messages")).to_contain_text("Select at least one key.")

    select(page, "Service 01")
    select(page, "Service 02")
    page.get_by_role("button", name="Revoke selected").click()
    expect(page.get_by_role("heading", name="Act on several keys", level=1)).to_be_visible()
    expect(page.locator("#selection-confirm")).to_contain_text("Revoke these 2 keys?")
    page.get_by_role("button", name="Revoke 2 keys").click()
    expect(page).to_have_url(f"{site.url}/en/api-keys?raised=1")
    expect(page.locator("#messages")).to_contain_text("2 keys revoked.")
    expect(page.locator("#role-notice-slot")).to_contain_text("2 keys made before the change")
    expect(page.locator("#create-control .count")).to_have_text("3 of 100 active keys")
    assert call_api(site, keys["Service 01"]).status_code == 401
    assert call_api(site, keys["Service 03"]).status_code == 200
    # A reload of the list sends nothing again.
    page.reload()
    expect(page.locator("#create-control .count")).to_have_text("3 of 100 active keys")


def test_another_users_key_in_a_selection_is_refused_and_nothing_changes(
    shared_console, browser_context
):
    site, keys = promoted(shared_console, 2)
    other = shared_console.site()
    other_id, other_key = shared_console.factory.key(other.user, "Not yours")
    page, problems = open_page(browser_context)
    sign_in(page, site)
    page.goto(f"{site.url}/en/api-keys?raised=1")
    select(page, "Service 01")
    checkbox = key_row(page, "Service 02").get_by_role("checkbox")
    checkbox.evaluate("(box, id) => { box.value = id; box.checked = true; }", other_id)
    page.get_by_role("button", name="Revoke selected").click()
    expect(page.locator("#messages")).to_contain_text(
        "Some of the selected keys are not yours. Nothing was changed."
    )
    assert call_api(other, other_key).status_code == 200
    assert call_api(site, keys["Service 01"]).status_code == 200
    # The refusal is a 404 (as for one key that is not yours), which htmx logs.
    assert [text for text in problems.console_errors() if "404" not in text] == []
