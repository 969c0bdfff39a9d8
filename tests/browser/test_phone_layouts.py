"""Every console page, in every language, on a 390 px phone.

Nothing runs off the screen or is cut off (a control past its parent's edge, a select too
narrow for its chosen option, a button's words running out of it), nothing overlaps what
is next to it, and no card label is taller than its cell.

One server and one browser for the module; each language signs in once and visits every
page and state in turn (the keys page with its notices and with the create form open, a
key's page, activity, the account, the admin pages, an empty filter), so the run stays short.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from browser_support import VIEWPORTS, open_page, sign_in
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]

LOCALES = ["en", "es", "de", "zh"]
# What a page shows that runs off the screen or overlaps: one line a problem.
LAYOUT_PROBLEMS = (Path(__file__).parent / "layout_problems.js").read_text()


@pytest.fixture(scope="module")
def promoted_admin(shared_console):
    """An admin (raised from standard, so the role notice shows) with keys, and a member."""
    factory = shared_console.factory
    site = shared_console.site()
    member = factory.user()
    key_id, _ = factory.key(site.user, "Mobile App")
    factory.key(site.user, "Nightly backup of the reporting database", access="read")
    expired_id, _ = factory.key(site.user, "Expired export", expires_in=timedelta(days=7))
    factory.expire(expired_id)
    factory.key(member, "Member's key")
    factory.set_role(site.user, "admin")
    return site, key_id, member, expired_id


def problems_on(page: Page, what: str) -> list[str]:
    page.wait_for_load_state("load")
    return [f"{what}: {problem}" for problem in page.evaluate(LAYOUT_PROBLEMS)]


@pytest.mark.parametrize("locale", LOCALES)
def test_no_page_runs_off_a_phone_or_overlaps_in_any_language(
    shared_console, browser_context, promoted_admin, locale
):
    site, key_id, member, expired_id = promoted_admin
    # A long time zone name: the page names it (the footer, the event filters' days).
    page, console = open_page(
        browser_context, viewport=VIEWPORTS["phone"], timezone_id="America/Argentina/Buenos_Aires"
    )
    found: list[str] = []
    for path in ("login", "signup", "password-reset"):
        page.goto(f"{site.url}/{locale}/{path}")
        found += problems_on(page, path)
    sign_in(page, site, locale)
    found += problems_on(page, "keys, with the role notice")
    page.locator("[data-opens-form]").click()
    expect(page.locator("form[data-create-form]")).to_be_visible()
    found += problems_on(page, "keys, with the create form open")
    for path in (
        "api-keys?status=revoked",
        "api-keys?sort=expires&access=read",
        "api-keys?sort=last_used&access=restricted",  # the longest choices
        "api-keys/create",
        f"api-keys/{key_id}",
        "activity",
        "account",
        "admin/users",
        f"admin/users/{member.id}",
        "admin/audit",
        "admin/audit?user=nobody@example.org",
        f"api-keys/{expired_id}",
        f"api-keys/create?like={expired_id}",
        "api-keys?raised=1",
    ):
        page.goto(f"{site.url}/{locale}/{path}")
        found += problems_on(page, path)
    # The keys a role change empowered, two selected, and the confirmation asked in place.
    for box in page.locator("#keys tbody input[type=checkbox]").all():
        box.check()
    page.locator("#key-selection button[value=no_admin]").click()
    expect(page.locator("#selection-confirm")).to_be_visible()
    found += problems_on(page, "api-keys?raised=1, confirming an action on two keys")
    assert found == [], "\n".join(found)
    assert console.console_errors() == []
