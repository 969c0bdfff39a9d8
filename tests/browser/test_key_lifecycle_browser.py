"""A key's life in Chromium.

An expiry and read access chosen at creation, a rotation with a grace period (both keys
listed, the old one marked), the 30-day usage chart with its table, and the notice of a
key used from a new network until the owner recognises it.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from babel.dates import format_date
from browser_support import (
    SCREENSHOTS,
    key_row,
    open_create_form,
    open_page,
    revealed_key,
    sign_in,
    submit_create_form,
)
from playwright.sync_api import Locator, expect

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]

NEW_ADDRESS = "203.0.113.7"  # TEST-NET-3: a documentation address, never a real client


@pytest.fixture(scope="module")
def console_server_env() -> dict:
    """One proxy believed (so X-Forwarded-For names the client); usage written every second."""
    return {"FLASK_TRUSTED_PROXY_COUNT": "1", "FLASK_USAGE_FLUSH_SECONDS": "1"}


def get_me(url: str, key: str, address: str | None = None) -> requests.Response:
    """``GET /api/me`` with ``key`` (a read-only key may do this), from ``address``."""
    headers = {"X-API-Key": key} | ({"X-Forwarded-For": address} if address else {})
    return requests.get(f"{url}/api/me", headers=headers, timeout=10)


def moment(time_element: Locator) -> datetime:
    """The exact time a <time datetime="..."> stands for."""
    return datetime.fromisoformat(time_element.get_attribute("datetime"))


def about(when: datetime, expected: datetime) -> bool:
    return abs(when - expected) < timedelta(minutes=2)


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_create_with_expiry_and_read_access_then_rotate_with_a_grace_period(
    shared_console, browser_context, javascript
):
    site = shared_console.site()
    page, problems = open_page(browser_context, java_script_enabled=javascript)
    if javascript:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, site)

    open_create_form(page)
    submit_create_form(page, "Reporting", expires_in="30", access="read")
    first = revealed_key(page)
    row = key_row(page, "Reporting")
    expect(row.locator(".tag")).to_have_text("Read-only")
    expect(row.locator(".status-note")).to_contain_text("Expires in")
    assert about(moment(row.locator(".status-note time")), datetime.now(UTC) + timedelta(days=30))
    assert get_me(site.url, first).status_code == 200
    assert call_write(site.url, first).json()["error"]["code"] == "forbidden"

    if javascript:
        page.once("dialog", lambda dialog: dialog.accept())  # a key is still on screen
    row.locator("th a").click()
    details = page.locator("dl.details")
    expect(details).to_contain_text("Read-only")
    expect(page.locator("h1")).to_have_text("Reporting")

    page.get_by_label("The old key stops working").select_option("1h")
    page.get_by_role("button", name="Rotate key").click()
    notice = page.locator(".notice-success", has_text="Rotated.")
    expect(notice).to_be_visible()
    assert about(moment(notice.locator("time")), datetime.now(UTC) + timedelta(hours=1))
    new = revealed_key(page)
    assert new != first
    expect(page.locator("[data-reveal]")).to_contain_text("you will not see it again")
    if javascript:
        page.locator("[data-reveal] button[data-copy]").click()
        expect(page.locator("[data-reveal] button[data-copy]")).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == new
    else:
        expect(page.get_by_role("heading", name="Key rotated", level=1)).to_be_visible()
        expect(page.locator("[data-reveal] [data-copy-hint]")).to_be_visible()
    # Both keys work during the grace period.
    assert get_me(site.url, new).status_code == 200
    assert get_me(site.url, first).status_code == 200

    # Done takes the key off the page and the focus to the new key's page, not to <body>.
    if javascript:
        page.get_by_role("link", name="Done, I have saved it").click()
        expect(page.locator("[data-reveal]")).to_have_count(0)
        expect(page.get_by_role("link", name="See the new key's page")).to_be_focused()

    # Shown once: the keys page has both rows, and no key.
    page.get_by_role("link", name="API keys", exact=True).click()
    expect(page).to_have_url(f"{site.url}/en/api-keys")
    rows = page.locator("#keys tbody tr", has=page.locator("th", has_text="Reporting"))
    expect(rows).to_have_count(2)
    assert new not in page.content() and first not in page.content()
    replaced = rows.filter(has_text="Replaced")
    expect(replaced).to_have_count(1)
    expect(replaced.locator(".status-note")).to_contain_text("Replaced; ends in")
    assert about(
        moment(replaced.locator(".status-note time")), datetime.now(UTC) + timedelta(hours=1)
    )
    current = rows.filter(has_not_text="Replaced")
    expect(current.locator(".tag")).to_have_text("Read-only")
    expect(current).to_contain_text("Active")

    # The old key's page names its successor.
    replaced.locator("th a").click()
    expect(page.locator("dl.details")).to_contain_text("Replaced by")
    if javascript:
        assert problems.console_errors() == []


def call_write(url: str, key: str) -> requests.Response:
    """``POST /api/endpoint``: refused (403) for a read-only key."""
    return requests.post(f"{url}/api/endpoint", headers={"X-API-Key": key}, json={}, timeout=10)


def wait_for_usage(url: str, key: str, key_id: str, requests_made: int) -> None:
    """Wait (bounded) until the server has written the key's usage (every second here)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        answer = get_me_usage(url, key, key_id)
        if answer and answer[-1]["requests"] >= requests_made:
            return
        time.sleep(0.2)
    pytest.fail(f"usage of {key_id} was not written within 15 s")


def get_me_usage(url: str, key: str, key_id: str) -> list[dict]:
    answer = requests.get(f"{url}/api/keys/{key_id}/usage", headers={"X-API-Key": key}, timeout=10)
    return answer.json()["days"] if answer.status_code == 200 else []


def test_the_key_page_charts_use_and_a_new_network_is_noticed_until_recognised(
    shared_console, browser_context
):
    site = shared_console.site()
    key_id, key = shared_console.factory.key(site.user, "Billing sync", access="read")
    for _ in range(3):
        assert get_me(site.url, key).status_code == 200  # from 127.0.0.1: its home network
    assert call_write(site.url, key).status_code == 403  # refused: a read-only key
    assert get_me(site.url, key, NEW_ADDRESS).status_code == 200  # from a new network
    # Five requests, then the usage reads themselves (which count too).
    wait_for_usage(site.url, key, key_id, 5)

    page, problems = open_page(browser_context)
    sign_in(page, site)
    notice = page.locator("section.notice", has=page.locator("#network-notice-heading"))
    expect(notice).to_contain_text("Billing sync")
    expect(notice).to_contain_text("203.0.113.0/24")

    notice.get_by_role("link", name="Billing sync").click()
    expect(page.locator("h1")).to_have_text("Billing sync")
    key_notice = page.locator("section.notice", has=page.locator("#key-network-heading"))
    expect(key_notice).to_contain_text("203.0.113.0/24")

    # The chart: a bar a day, today's with its numbers, and the same numbers in a table.
    today = format_date(datetime.now(UTC).date(), "medium", locale="en")  # "Dec 6, 2026"
    chart = page.locator("figure.chart svg")
    expect(chart.locator("rect.bar-requests")).to_have_count(30)
    expect(chart.locator("rect.bar-refused title")).to_have_text([f"{today}: 1 refused"])
    bar = chart.locator("rect.bar-requests").last
    expect(bar.locator("title")).to_have_text(re.compile(rf"^{today}: \d+ requests$"))
    assert float(bar.get_attribute("height")) > 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "console-new-network-desktop.png")
    page.get_by_text("The numbers, day by day").click()
    today_row = page.locator(".chart-table tbody tr").first
    expect(today_row.locator("th")).to_have_text(today)
    expect(today_row.locator("td").last).to_have_text("1")

    # Recognised: the notice goes, here and on the keys page; the event stays.
    key_notice.get_by_role("button", name="I recognise it").click()
    expect(page.locator("#key-network-heading")).to_have_count(0)
    # The page reloaded: the message saying it was noted has the focus, naming the key.
    noted = page.locator("#messages .notice-success")
    expect(noted).to_be_focused()
    expect(noted).to_contain_text("Billing sync")
    expect(page.locator(".events")).to_contain_text("used from a new network, 203.0.113.0/24")
    page.get_by_role("link", name="All your keys").click()
    expect(page.locator("#network-notice-heading")).to_have_count(0)
    assert problems.console_errors() == []
