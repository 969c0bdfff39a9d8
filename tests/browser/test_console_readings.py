"""What the console says, as a demanding user reads it in Chromium.

Times in their own zone, a name too long said so, a chart with axes, a revoked key's
refusals, notices that name the key's prefix, a welcome that goes once it is answered.

The module shares one gunicorn (usage written every second, one proxy believed so a test
can call from a new network, mail to an SMTP server of its own); each test signs in as a
user of its own.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from browser_support import (
    call_api,
    open_create_form,
    open_page,
    sign_in,
    submit_create_form,
)
from playwright.sync_api import Page, expect

from support.factory import PASSWORD, Factory
from support.mail import LINK

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]

ZONE = "Australia/Adelaide"  # +09:30 or +10:30: every time shown moves, minutes too
NEW_ADDRESS = "203.0.113.9"


@pytest.fixture(scope="module")
def console_server_env(module_smtp) -> dict:
    """Usage written every second, one proxy believed, mail to the module's server."""
    return {
        "FLASK_USAGE_FLUSH_SECONDS": "1",
        "FLASK_TRUSTED_PROXY_COUNT": "1",
        "FLASK_MAIL_SERVER": module_smtp.host,
        "FLASK_MAIL_PORT": str(module_smtp.port),
    }


def key_pk(factory: Factory, key_id: str) -> int:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import ApiKey

    return factory.app_call(
        lambda: db.session.scalar(select(ApiKey.id).where(ApiKey.key_id == key_id))
    )


def add_usage(factory: Factory, key_id: str, day_counts: dict) -> None:
    """Store usage counts for the key: {date: (requests, refused)}."""
    from app.usage import store

    pk = key_pk(factory, key_id)
    factory.app_call(
        store.add_counts, {(pk, day): list(counts) for day, counts in day_counts.items()}
    )


def shown_in_zone(moment: str, zone: str) -> str:
    """How the console writes the time of day of ``moment`` (ISO) in ``zone``: "7:35:00 PM"."""
    local = datetime.fromisoformat(moment).astimezone(ZoneInfo(zone))
    return f"{local.hour % 12 or 12}:{local:%M:%S} {'AM' if local.hour < 12 else 'PM'}"


def expect_titles_in(page: Page, zone: str) -> None:
    """Every short time on the page names ``zone`` in its title, at its time there."""
    times = page.locator("main time[title]")
    assert times.count() > 0
    for moment in times.all():
        title = moment.get_attribute("title").replace("\u202f", " ")  # CLDR's space before PM
        assert title.endswith(f"({zone})"), title
        assert shown_in_zone(moment.get_attribute("datetime"), zone) in title


# --- Times in the viewer's time zone ---------------------------------------------------


def test_every_time_is_in_the_browsers_zone_named_and_utc_without_javascript(
    shared_console, browser_context
):
    site = shared_console.site(role="admin")
    key_id, _ = shared_console.factory.key(site.user, "Mobile App")
    context = browser_context(timezone_id=ZONE)
    page = context.new_page()
    sign_in(page, site)

    footer = page.locator("footer.site-footer")
    expect(footer).to_have_text(f"Times are shown in {ZONE}.")
    expect_titles_in(page, ZONE)
    # A fragment (the search's htmx swap) is drawn in the same zone.
    page.get_by_label("Search by name").fill("Mobile")
    page.get_by_label("Search by name").press("Enter")
    expect(page).to_have_url(re.compile(r"q=Mobile"))
    expect_titles_in(page, ZONE)

    page.goto(f"{site.url}/en/api-keys/{key_id}")
    created = page.locator(".details time").first
    expect(created).to_have_text(re.compile(rf"\({re.escape(ZONE)}\)$"))
    exact = created.inner_text().replace("\u202f", " ")
    assert shown_in_zone(created.get_attribute("datetime"), ZONE) in exact
    expect_titles_in(page, ZONE)  # the key's events

    for path in ("activity", "admin/audit", "account", f"admin/users/{site.user.id}"):
        page.goto(f"{site.url}/en/{path}")
        expect(footer).to_have_text(f"Times are shown in {ZONE}.")
        expect_titles_in(page, ZONE)
    page.goto(f"{site.url}/en/activity")
    expect(page.get_by_label(f"From ({ZONE})")).to_be_visible()

    # A browser that moved (or a cookie from elsewhere): the page is drawn again, once.
    context.add_cookies([{"name": "tz", "value": "UTC", "url": site.url}])
    page.goto(f"{site.url}/en/api-keys/{key_id}")
    expect(created).to_have_text(re.compile(rf"\({re.escape(ZONE)}\)$"))

    # Without JavaScript nothing says where the browser is: UTC, and said so.
    plain = browser_context(timezone_id=ZONE, java_script_enabled=False).new_page()
    sign_in(plain, site)
    expect(plain.locator("footer.site-footer")).to_have_text("Times are shown in UTC.")
    plain.goto(f"{site.url}/en/api-keys/{key_id}")
    expect(plain.locator(".details time").first).to_have_text(re.compile(r"\(UTC\)$"))
    expect_titles_in(plain, "UTC")


def test_a_junk_time_zone_cookie_shows_utc(shared_console, browser_context):
    site = shared_console.site()
    context = browser_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, site)
    for junk in ("Mars/Olympus_Mons", "../../etc/passwd", "localtime"):
        context.add_cookies([{"name": "tz", "value": junk, "url": site.url}])
        answer = page.goto(f"{site.url}/en/activity")
        assert answer is not None and answer.status == 200
        expect(page.locator("footer.site-footer")).to_have_text("Times are shown in UTC.")


# --- A name too long -----------------------------------------------------------------------


def test_a_pasted_name_too_long_is_kept_and_said_so_not_cut(shared_console, browser_context):
    site = shared_console.site()
    long_name = "Nightly export " * 19 + "of the ledger"  # 298 characters
    page, problems = open_page(browser_context)
    sign_in(page, site)
    form = open_create_form(page)
    name = form.get_by_label("Name")
    name.fill(long_name)
    assert name.input_value() == long_name  # nothing cut
    note = form.locator("#key-name-length")
    expect(note).to_have_text("Key names are at most 100 characters; this one has 298.")
    expect(name).to_have_attribute("aria-invalid", "true")
    posts: list[str] = []
    page.on("request", lambda sent: posts.append(sent.url) if sent.method == "POST" else None)
    form.get_by_role("button", name="Create key").click()
    page.wait_for_timeout(300)  # a POST would have gone by now; nothing was sent
    assert posts == []
    name.fill(long_name[:100])
    expect(note).to_be_hidden()
    expect(name).not_to_have_attribute("aria-invalid", "true")
    assert submit_create_form(page, "Nightly export").status == 200
    assert problems.console_errors() == []

    # The key's own page: its name field says the same.
    page.get_by_role("link", name=re.compile("^Nightly export")).first.click()
    edit = page.locator("#edit-name")
    edit.fill(long_name)
    expect(page.locator("#edit-name-length")).to_contain_text("this one has 298")


def test_without_javascript_a_name_too_long_is_refused_whole(shared_console, browser_context):
    site = shared_console.site()
    long_name = "x" * 300
    page, _ = open_page(browser_context, java_script_enabled=False)
    sign_in(page, site)
    page.goto(f"{site.url}/en/api-keys/create")
    page.get_by_label("Name").fill(long_name)
    assert len(page.get_by_label("Name").input_value()) == 300
    with page.expect_response(lambda answer: answer.request.method == "POST") as answer:
        page.get_by_role("button", name="Create key").click()
    assert answer.value.status == 422
    expect(page.locator("#create-error")).to_have_text(
        "Key names are at most 100 characters; this one has 300."
    )
    assert page.get_by_label("Name").input_value() == long_name  # to shorten, not retype


# --- The usage chart ----------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["de", "zh"])
def test_the_chart_has_dated_axes_and_a_scale_in_the_pages_language(
    shared_console, browser_context, locale
):
    site = shared_console.site()
    key_id, _ = shared_console.factory.key(site.user, "Billing sync")
    today = datetime.now(UTC).date()
    first = today - timedelta(days=29)
    add_usage(shared_console.factory, key_id, {today: (7, 2), today - timedelta(3): (3, 0)})
    page, problems = open_page(browser_context)
    sign_in(page, site, locale)
    page.goto(f"{site.url}/{locale}/api-keys/{key_id}")

    written = [format_date(day, "medium", locale=locale) for day in (first, today)]
    expect(page.locator(".chart-x time")).to_have_text(written)
    expect(page.locator(".chart-y span")).to_have_text(["10", "0"])  # 7 rounds up to 10
    expect(page.locator(".chart svg > title")).to_contain_text(written[0])
    page.locator(".chart-table summary").click()
    rows = page.locator(".chart-table tbody tr")
    expect(rows.first.locator("th")).to_have_text(written[1])
    expect(rows.first.locator("td")).to_have_text(["7", "2"])
    expect(rows.last.locator("th")).to_have_text(written[0])
    assert today.isoformat() not in page.locator(".chart-table tbody").inner_text()
    assert problems.console_errors() == []


# --- A revoked key still being called ---------------------------------------------------


def test_a_revoked_key_still_called_says_when_it_was_refused_not_never_used(
    shared_console, browser_context
):
    site = shared_console.site()
    factory = shared_console.factory
    key_id, _ = factory.key(site.user, "Old deploy")
    factory.revoke(key_id)
    today = datetime.now(UTC).date()
    written = format_date(today, "medium", locale="en")
    add_usage(factory, key_id, {today: (3, 3)})
    page, _ = open_page(browser_context)
    sign_in(page, site)
    page.goto(f"{site.url}/en/api-keys/{key_id}")
    details = page.locator(".details")
    last_used = details.locator("dt:text-is('Last used') + dd")
    expect(last_used).to_have_text("Never: every request with it was refused")
    last_refused = details.locator("dt:text-is('Last refused') + dd")
    expect(last_refused).to_contain_text(f"3 requests refused on {written} (UTC)")
    expect(last_refused).to_contain_text("Where refused requests came from is not recorded.")
    expect(page.locator(".chart svg rect.bar-refused")).to_have_count(1)

    # A key refused for its address keeps the address: the page names it.
    fenced_id, fenced = factory.key(site.user, "Fenced", allowed_networks="10.0.0.0/8")
    assert call_api(site, fenced, **{"X-Forwarded-For": NEW_ADDRESS}).status_code == 403
    deadline = time.monotonic() + 15
    while True:  # the refusal is counted in memory, then written each second
        page.goto(f"{site.url}/en/api-keys/{fenced_id}")
        if page.locator("dt:text-is('Last refused')").count() or time.monotonic() > deadline:
            break
        page.wait_for_timeout(300)
    refused = details.locator("dt:text-is('Last refused') + dd")
    expect(refused).to_contain_text(f"1 request refused on {written}")
    expect(refused).to_contain_text(f"it may not be used from: {NEW_ADDRESS}")


# --- Notices name the key's prefix --------------------------------------------------------


def test_the_new_network_notice_and_mail_name_the_keys_prefix(
    shared_console, browser_context, module_smtp
):
    site = shared_console.site()
    factory = shared_console.factory
    key_id, key = factory.key(site.user, "Mobile App")
    factory.key(site.user, "Mobile App")  # the same name: only the prefix tells them apart
    assert call_api(site, key).status_code == 200  # its home network
    page, _ = open_page(browser_context)
    sign_in(page, site)
    deadline = time.monotonic() + 15
    while True:  # the network is recorded after the answer
        if page.locator("#network-notice-heading").count() or time.monotonic() > deadline:
            break
        call_api(site, key, **{"X-Forwarded-For": NEW_ADDRESS})
        page.wait_for_timeout(300)
        page.reload()
    notice = page.locator("section.notice", has=page.locator("#network-notice-heading"))
    row_prefix = page.locator("#keys tbody tr", has=page.locator(f"a[href$='/{key_id}']"))
    key_prefix = row_prefix.locator("code.prefix").inner_text().rstrip("…")
    expect(notice.get_by_role("link")).to_have_text(f"Mobile App {key_prefix}…")
    (mail,) = [m for m in module_smtp.messages_to(site.user.email) if "new network" in m["Subject"]]
    assert f"Mobile App ({key_prefix}…)" in mail["Subject"]


# --- The welcome ------------------------------------------------------------------------


def test_the_welcome_goes_once_the_first_key_exists(shared_console, browser_context, module_smtp):
    email = f"welcome-{time.monotonic_ns()}@example.com"
    page, _ = open_page(browser_context)
    page.goto(f"{shared_console.url}/en/signup")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    (link,) = LINK.findall(module_smtp.messages_to(email)[-1].get_content())
    page.goto(link)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    welcome = page.locator("#messages").get_by_text("Create your first API key")
    expect(welcome).to_be_visible()
    page.wait_for_load_state("load")
    open_create_form(page)
    submit_create_form(page, "First key")
    expect(page.locator("[data-reveal]")).to_have_count(1)
    expect(welcome).to_have_count(0)
    page.locator("[data-done-reveal]").first.click()
    page.reload()
    expect(page.locator("#keys tbody tr")).to_have_count(1)
    expect(welcome).to_have_count(0)
