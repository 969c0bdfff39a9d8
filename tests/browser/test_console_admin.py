"""The admin pages in Chromium.

Roles saved visibly (with htmx and without), users deactivated and reactivated, another
user's key revoked, the users table as cards on a phone, and the notice a user gets when
their role rises.
"""

from __future__ import annotations

import re

import pytest
from browser_support import (
    VIEWPORTS,
    call_api,
    key_row,
    no_sideways_scroll,
    open_page,
    sign_in,
)
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_saving_a_role_says_so_in_the_users_row(shared_console, browser_context, javascript):
    admin = shared_console.site(role="admin")
    member = shared_console.site()
    page, problems = open_page(browser_context, java_script_enabled=javascript)
    sign_in(page, admin)
    page.get_by_role("link", name="Users").click()
    row = page.locator(f"#user-{member.user.id}")

    row.get_by_label(f"Role of {member.user.email}").select_option("premium")
    row.get_by_role("button", name=f"Save ({member.user.email})").click()

    saved = f"Saved: {member.user.email} is now premium."
    if javascript:
        # The row is swapped in place, says so, and has the focus.
        expect(row.locator(".notice-inline")).to_have_text(saved)
        expect(row.locator(".notice-inline")).to_be_focused()
        expect(page.locator("#live-region")).to_have_text(saved)
        assert problems.console_errors() == []
    else:
        expect(page.locator("#messages")).to_contain_text(saved)
    expect(row.get_by_label(f"Role of {member.user.email}")).to_have_value("premium")


def test_an_admin_deactivates_and_reactivates_a_user(shared_console, browser_context):
    admin = shared_console.site(role="admin")
    member = shared_console.site()
    _, key = shared_console.factory.key(member.user, "Their key")
    assert call_api(member, key).status_code == 200
    page, _ = open_page(browser_context)
    sign_in(page, admin)
    page.goto(f"{admin.url}/en/admin/users")
    row = page.locator(f"#user-{member.user.id}")

    row.get_by_role("link", name=f"Deactivate {member.user.email}").click()
    expect(page.get_by_role("heading", name="Deactivate a user", level=1)).to_be_visible()
    page.get_by_role("button", name="Deactivate").click()
    expect(page.locator("#messages")).to_contain_text(f"{member.user.email} is deactivated")
    expect(row).to_contain_text("Deactivated")
    assert call_api(member, key).status_code == 401

    row.get_by_role("button", name=f"Reactivate {member.user.email}").click()
    expect(page.locator("#messages")).to_contain_text(f"{member.user.email} is active again")
    expect(row.get_by_role("link", name=f"Deactivate {member.user.email}")).to_be_visible()
    assert call_api(member, key).status_code == 200


def test_an_admin_revokes_another_users_key(shared_console, browser_context):
    admin = shared_console.site(role="admin")
    member = shared_console.site()
    _, kept = shared_console.factory.key(member.user, "Kept")
    _, leaked = shared_console.factory.key(member.user, "Leaked")
    page, _ = open_page(browser_context)
    sign_in(page, admin)
    page.goto(f"{admin.url}/en/admin/users")
    page.get_by_role("link", name=member.user.email, exact=True).click()
    expect(page.get_by_role("heading", name=member.user.email, level=1)).to_be_visible()

    row = page.locator("tbody tr", has=page.locator("th", has_text="Leaked"))
    row.locator("summary").click()
    expect(row).to_contain_text("Revoked keys cannot be restored")
    row.get_by_role("button", name="Revoke key").click()

    expect(page.locator("#messages")).to_contain_text(
        f"Key “Leaked” of {member.user.email} revoked."
    )
    expect(row).to_contain_text("Revoked")
    assert call_api(member, leaked).status_code == 401
    assert call_api(member, kept).status_code == 200

    # The owner sees it on their own keys page.
    page.context.clear_cookies()
    sign_in(page, member)
    expect(key_row(page, "Leaked")).to_contain_text("Revoked")


def test_the_users_table_is_a_list_of_cards_on_a_phone(shared_console, browser_context):
    admin = shared_console.site(role="admin")
    shared_console.factory.user(f"{'x' * 64}@example.com")  # the longest local part
    page, _ = open_page(browser_context, viewport=VIEWPORTS["phone"])
    sign_in(page, admin)
    page.goto(f"{admin.url}/en/admin/users")
    table = page.locator("table.users")
    expect(table.locator("tbody tr").first).to_be_visible()
    assert table.locator("thead").evaluate("head => head.getBoundingClientRect().height") <= 1
    rows = table.locator("tbody tr")
    assert {row.evaluate("row => getComputedStyle(row).display") for row in rows.all()} == {"block"}
    assert no_sideways_scroll(page) <= 0


def test_a_raised_role_is_noticed_on_the_keys_page_until_dismissed(shared_console, browser_context):
    member = shared_console.site()
    shared_console.factory.key(member.user, "Old full key")
    shared_console.factory.key(member.user, "Reader", access="read")
    shared_console.factory.set_role(member.user, "admin")
    page, _ = open_page(browser_context)
    sign_in(page, member)

    notice = page.locator("section.notice", has=page.locator("#role-notice-heading"))
    expect(notice.get_by_role("heading")).to_have_text("Your role changed from standard to admin")
    expect(notice.get_by_role("listitem")).to_have_count(1)
    expect(notice).to_contain_text("Old full key")
    notice.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#role-notice-heading")).to_have_count(0)
    page.reload()
    expect(page.locator("#role-notice-heading")).to_have_count(0)


def test_audit_and_activity_read_as_sentences_with_links_and_filters(
    shared_console, browser_context
):
    admin = shared_console.site(role="admin")
    member = shared_console.site()
    key_id, _ = shared_console.factory.key(member.user, "Mobile App")
    page, problems = open_page(browser_context)
    sign_in(page, admin)
    page.get_by_role("link", name="Users").click()
    row = page.locator(f"#user-{member.user.id}")
    row.get_by_label(f"Role of {member.user.email}").select_option("premium")
    row.get_by_role("button", name=f"Save ({member.user.email})").click()
    expect(row.locator(".notice-inline")).to_be_visible()

    # The admin's log: who did what to whom, in words, each user a link.
    page.goto(f"{admin.url}/en/admin/audit?user={member.user.email}")
    events = page.locator("ol.events li")
    changed = events.filter(has_text="changed the role")
    expect(changed.locator(".event-sentence")).to_have_text(
        f"You changed the role of {member.user.email} from standard to premium"
    )
    expect(changed.get_by_role("link", name=member.user.email)).to_have_attribute(
        "href", f"/en/admin/users/{member.user.id}"
    )
    created = events.filter(has_text="Mobile App").locator(".event-sentence")
    expect(created).to_have_text(
        re.compile(rf"^Key “Mobile App” \(ck_\w+…\) of {re.escape(member.user.email)} created$")
    )

    # Filters: by who acted and what, by days, and an email nobody has is said to be so.
    toolbar = page.get_by_role("search", name="Filter events")
    toolbar.get_by_label("User's email").fill("")
    toolbar.get_by_label("Done by (email)").fill(admin.user.email)
    toolbar.get_by_label("What").select_option("user.role_changed")
    toolbar.get_by_role("button", name="Show").click()
    expect(events).to_have_count(1)
    toolbar.get_by_label("Done by (email)").fill("nobody@example.org")
    toolbar.get_by_role("button", name="Show").click()
    expect(page.locator("main")).to_contain_text("No user has the email nobody@example.org.")
    expect(page.locator("main")).not_to_contain_text("Nothing yet.")
    page.goto(f"{admin.url}/en/admin/audit?until=2000-01-01")
    expect(page.locator("main")).to_contain_text("No events match these filters.")

    # The member reads the same change with "your", and their own key as a link.
    member_page, _ = open_page(browser_context)
    sign_in(member_page, member)
    member_page.goto(f"{member.url}/en/activity")
    mine = member_page.locator("ol.events li")
    expect(mine.filter(has_text="role").locator(".event-sentence")).to_have_text(
        f"{admin.user.email} changed your role from standard to premium"
    )
    key_link = mine.filter(has_text="Mobile App").get_by_role("link", name="“Mobile App”")
    expect(key_link).to_have_attribute("href", f"/en/api-keys/{key_id}")
    expect(member_page.locator("ol.events")).not_to_contain_text(f"user:{member.user.id}")
    assert problems.console_errors() == []
