"""The keys page in a real headless Chromium, against a real gunicorn.

Each test signs in through /en/login as a user of its own (the module shares one server)
and drives the page with clicks and keys: a key shown once and kept on screen until it is
saved, focus where a keyboard user expects it, errors that say so with a way to retry,
a layout that never scrolls sideways, a long list to search, filter, sort and page
(with htmx and with JavaScript off), the strict CSP. The keys are tried against the API.
"""

from __future__ import annotations

import re
import signal
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_support import (
    INJECT_INLINE_SCRIPT,
    VIEWPORTS,
    call_api,
    count_page_loads,
    create_control,
    expect_names,
    key_row,
    make_keys,
    mark_document,
    mentions_csp,
    no_sideways_scroll,
    open_create_form,
    open_page,
    revealed_key,
    sign_in,
    still_same_document,
    submit_create_form,
)
from playwright.sync_api import expect

from app import PROJECT_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]

LONG_NAME = "K" * 100  # the longest name, with nowhere to break


def test_a_created_key_is_shown_once_and_its_row_appears_without_a_page_load(
    shared_console, browser_context
):
    site = shared_console.site()
    page, problems = open_page(browser_context)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, site)
    mark_document(page)
    loads = count_page_loads(page)

    open_create_form(page)
    answer = submit_create_form(page, "Mobile App")

    assert answer.status == 200
    assert answer.headers["cache-control"] == "no-store"
    reveal = page.locator("[data-reveal]")
    expect(reveal).to_be_focused()
    expect(reveal).to_contain_text("you will not see it again")
    secret = revealed_key(page)
    assert re.fullmatch(r"ck_[A-Za-z0-9_]+", secret) and len(secret) <= 72
    row = key_row(page, "Mobile App")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("Never")
    expect(row).not_to_contain_text(secret)
    expect(page.locator("#live-region")).to_have_text("Key created")
    assert still_same_document(page) and loads == [], "creating a key loaded a new page"

    # The Copy button copies the key; its label says so for two seconds.
    copy = reveal.locator("button[data-copy]")
    expect(copy).to_have_text("Copy")
    expect(reveal.locator("[data-copy-hint]")).to_be_hidden()
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    assert call_api(site, secret).json()["key"]["name"] == "Mobile App"

    # Done takes the key off the page for good, with no page load.
    reveal.get_by_role("link", name="Done, I have saved it").click()
    expect(reveal).to_have_count(0)
    expect(create_control(page)).to_be_focused()
    assert secret not in page.content()
    reloaded = page.reload()
    assert reloaded is not None and secret not in reloaded.text()
    assert problems.console_errors() == []


def test_the_reveal_survives_another_create_and_leaving_asks_first(shared_console, browser_context):
    site = shared_console.site()
    page, problems = open_page(browser_context)
    sign_in(page, site)
    open_create_form(page)
    submit_create_form(page, "First")
    first = revealed_key(page)

    # Create New Key again: the form opens, and the key on screen stays.
    open_create_form(page)
    expect(page.locator("[data-reveal]")).to_have_count(1)
    expect(page.locator("textarea[data-secret]")).to_have_value(first)
    submit_create_form(page, "Second")
    expect(page.locator("[data-reveal]")).to_have_count(2)
    second = revealed_key(page)  # the newest is on top
    assert second != first
    expect(page.locator("textarea[data-secret]").nth(1)).to_have_value(first)

    # Leaving the page while a key is shown asks first; staying keeps both keys.
    dialogs: list[str] = []

    def stay(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.get_by_role("link", name="Activity").click()
    assert dialogs == ["beforeunload"]
    expect(page).to_have_url(f"{site.url}/en/api-keys")
    expect(page.locator("[data-reveal]")).to_have_count(2)

    # Escape in a reveal asks too (a confirm); saying no keeps it, yes closes that one.
    page.locator("[data-reveal]").first.focus()
    page.once("dialog", stay)
    page.keyboard.press("Escape")
    assert dialogs[-1] == "confirm"
    expect(page.locator("[data-reveal]")).to_have_count(2)
    page.locator("[data-reveal]").first.focus()
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Escape")
    expect(page.locator("[data-reveal]")).to_have_count(1)
    expect(page.locator("[data-reveal]")).to_be_focused()

    # A reload asks as well; going ahead leaves no key on the page.
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.reload()
    assert dialogs[-1] == "beforeunload"
    expect(page.locator("[data-reveal]")).to_have_count(0)
    assert first not in page.content() and second not in page.content()
    assert problems.console_errors() == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_with_the_server_stopped_create_and_revoke_say_so_visibly_and_retry_works(
    console_site, gunicorn, database_url, factory, browser_context
):
    page, _ = open_page(browser_context)
    factory.key(console_site.user, "Old key")
    sign_in(page, console_site)
    port = urlsplit(console_site.url).port
    messages = page.locator("#messages")

    # Busy while the request runs: the button waits (disabled, with a spinner).
    held = []
    page.route("**/en/api-keys", lambda route: held.append(route), times=1)
    form = open_create_form(page)
    form.locator("#key-name").fill("Made after an outage")
    form.locator("button[type=submit]").click()
    expect(form).to_have_attribute("aria-busy", "true")
    expect(form.locator("button[type=submit]")).to_be_disabled()
    expect(form.locator("button[type=submit] .busy")).to_be_visible()
    console_site.server.stop(signal.SIGQUIT)  # at once, as a crash or a network cut would
    held[0].continue_()

    error = messages.locator(".notice-error")
    expect(error).to_contain_text("The server could not be reached")
    expect(error).to_be_focused()
    expect(form.locator("button[type=submit]")).to_be_enabled()
    expect(form.locator("#key-name")).to_have_value("Made after an outage")

    # The server is back: Retry sends the form again.
    back = gunicorn(database_url, port=port)
    error.get_by_role("button", name="Retry").click()
    expect(page.locator("[data-reveal]")).to_be_visible()
    expect(key_row(page, "Made after an outage")).to_have_count(1)
    expect(error).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    page.reload()

    row = key_row(page, "Old key")
    row.locator("td.actions a").click()
    confirmation = page.locator("#keys tr.confirm-row")
    expect(confirmation).to_be_visible()
    back.stop(signal.SIGQUIT)
    confirmation.locator("button[type=submit]").click()
    expect(error).to_contain_text("The server could not be reached")
    expect(error.get_by_role("button", name="Retry")).to_be_visible()

    gunicorn(database_url, port=port)
    error.get_by_role("button", name="Retry").click()
    expect(row).to_contain_text("Revoked")


def test_focus_follows_the_keyboard_through_confirmations_and_the_create_form(
    shared_console, browser_context
):
    site = shared_console.site()
    for name in ("Alpha", "Bravo", "Charlie"):
        shared_console.factory.key(site.user, name)
    page, problems = open_page(browser_context)
    sign_in(page, site)
    row = key_row(page, "Bravo")
    revoke = row.locator("td.actions a")

    # Cancel on a confirmation puts focus back on that row's Revoke.
    revoke.click()
    confirmation = page.locator("#keys tr.confirm-row")
    expect(confirmation.locator("button[type=submit]")).to_be_focused()
    confirmation.get_by_role("link", name="Cancel").click()
    expect(confirmation).to_have_count(0)
    expect(revoke).to_be_focused()

    # Escape cancels a confirmation the same way.
    revoke.press("Enter")
    expect(confirmation.locator("button[type=submit]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(confirmation).to_have_count(0)
    expect(revoke).to_be_focused()

    # After a revoke, focus is on the revoked row, which says so in words.
    revoke.press("Enter")
    confirmation.locator("button[type=submit]").press("Enter")
    note = row.locator(".status-note")
    expect(note).to_have_text("Key “Bravo” revoked.")
    expect(note).to_be_visible()
    expect(note).to_be_focused()
    expect(page.locator("#live-region")).to_contain_text("Key “Bravo” revoked")

    # Escape closes the create form, and Cancel does too; focus returns to the opener.
    opener = create_control(page)
    open_create_form(page)
    expect(page.locator("#key-name")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("form[data-create-form]")).to_have_count(0)
    expect(opener).to_be_focused()
    open_create_form(page).get_by_role("link", name="Cancel").click()
    expect(page.locator("form[data-create-form]")).to_have_count(0)
    expect(opener).to_be_focused()
    assert problems.console_errors() == []


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_a_long_unbroken_name_never_makes_the_page_scroll_sideways(
    shared_console, browser_context, width
):
    site = shared_console.site()
    page, _ = open_page(browser_context, viewport=VIEWPORTS[width])
    sign_in(page, site)

    open_create_form(page)
    submit_create_form(page, LONG_NAME)
    expect(page.locator("[data-reveal]")).to_be_visible()
    assert no_sideways_scroll(page) <= 0, "with the key revealed"
    row = key_row(page, LONG_NAME)
    row.locator("td.actions a").click()
    expect(page.locator("#keys tr.confirm-row")).to_be_visible()
    assert no_sideways_scroll(page) <= 0, "with the confirmation open"
    page.locator("#keys tr.confirm-row button[type=submit]").click()
    expect(row).to_contain_text("Revoked")
    assert no_sideways_scroll(page) <= 0, "with the key revoked"
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("th a").click()
    expect(page.locator("h1")).to_have_text(LONG_NAME)
    assert no_sideways_scroll(page) <= 0, "on the key's page"

    # The curl example wraps instead of being cut off, and uses $BASE and $KEY as the
    # README does.
    page.goto(f"{site.url}/en/api-keys")
    example = page.locator("#curl-example")
    assert example.evaluate("pre => pre.scrollWidth <= pre.clientWidth")
    readme = (PROJECT_ROOT / "README.md").read_text()
    curl = next(line for line in readme.splitlines() if line.startswith('curl -X POST "$BASE'))
    assert curl in example.inner_text()


@pytest.fixture(scope="module")
def crowded(shared_console):
    """A user with 120 keys (30 revoked, 6 expired), two of them used, 007 last."""
    site = shared_console.site()
    keys = make_keys(shared_console.factory, site.user, 120)
    for name in ("Service 003", "Service 007"):
        assert call_api(site, keys[name]).status_code == 200
    return site


def services(*numbers: int) -> list[str]:
    return [f"Service {number:03d}" for number in numbers]


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_120_keys_can_be_searched_filtered_sorted_and_paged(crowded, browser_context, javascript):
    page, problems = open_page(browser_context, java_script_enabled=javascript)
    sign_in(page, crowded)
    if javascript:
        mark_document(page)
    toolbar = page.locator("#keys form.toolbar")

    def show() -> None:
        """Apply the toolbar: htmx does on change; without JavaScript, press Show."""
        if not javascript:
            toolbar.get_by_role("button", name="Show").click()

    def query() -> dict[str, list[str]]:
        return parse_qs(urlsplit(page.url).query)

    expect(page.locator(".create-control")).to_contain_text("84 of 100 active keys")
    expect_names(page, services(*range(120, 70, -1)))
    page.get_by_role("link", name="Next").click()
    expect_names(page, services(*range(70, 20, -1)))
    assert query()["page"] == ["2"]
    page.get_by_role("link", name="Next").click()
    expect_names(page, services(*range(20, 0, -1)))
    expect(page.get_by_role("link", name="Next")).to_have_count(0)
    page.get_by_role("link", name="Previous").click()
    expect_names(page, services(*range(70, 20, -1)))
    page.get_by_role("link", name="Previous").click()
    expect_names(page, services(*range(120, 70, -1)))

    toolbar.get_by_label("Search by name").fill("Service 11")
    toolbar.get_by_label("Search by name").press("Enter")
    expect_names(page, services(*range(119, 109, -1)))
    toolbar.get_by_label("Status").select_option("revoked")
    show()
    expect_names(page, services(116, 112))
    assert query()["status"] == ["revoked"] and query()["q"] == ["Service 11"]

    toolbar.get_by_label("Search by name").fill("")
    toolbar.get_by_label("Search by name").press("Enter")
    expect(page.locator("#keys tbody tr")).to_have_count(30)
    expect(page.locator("#keys tbody tr", has_text="Active")).to_have_count(0)
    toolbar.get_by_label("Status").select_option("expired")
    show()
    expect_names(page, services(110, 90, 70, 50, 30, 10))
    expect(page.locator("#keys tbody tr", has_text="Expired")).to_have_count(6)

    toolbar.get_by_label("Status").select_option("all")
    show()
    expect_names(page, services(120, *range(119, 70, -1)))
    toolbar.get_by_label("Sort").select_option("last_used")
    show()
    expect_names(page, services(7, 3, *range(120, 72, -1)))
    page.get_by_role("link", name="Next").click()
    expect(page.locator("#keys tbody tr").first).to_contain_text("Service 072")
    expect(page.locator("#keys tbody tr", has_text="Service 007")).to_have_count(0)

    # The address holds the listing: a reload (or a shared link) shows the same page.
    assert query()["sort"] == ["last_used"]
    page.reload()
    expect(page.locator("#keys tbody tr").first).to_contain_text("Service 072")
    expect(toolbar.get_by_label("Sort")).to_have_value("last_used")
    if javascript:
        assert problems.console_errors() == []


def test_the_console_works_with_javascript_off(shared_console, browser_context):
    site = shared_console.site()
    page, problems = open_page(browser_context, java_script_enabled=False)
    sign_in(page, site)
    empty = page.locator(".empty-state")
    expect(empty).to_be_visible()
    # One "Create New Key" on an empty page, in the empty state.
    expect(page.get_by_text("Create New Key", exact=True)).to_have_count(1)

    empty.get_by_role("link", name="Create New Key").click()
    expect(page).to_have_url(f"{site.url}/en/api-keys/create")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a key")
    page.get_by_label("Name").fill("Mobile App")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Create key").click()
    created = navigation.value
    assert created is not None and created.status == 200
    assert created.request.redirected_from is None, "the key page must not be a redirect"
    assert created.headers["cache-control"] == "no-store"
    expect(page.get_by_role("heading", name="Key created", level=1)).to_be_visible()
    reveal = page.locator("[data-reveal]")
    expect(reveal).to_contain_text("you will not see it again")
    # No script to copy with: no Copy button, and a hint to select and copy instead.
    expect(reveal.locator("button[data-copy]")).to_be_hidden()
    expect(reveal.locator("[data-copy-hint]")).to_be_visible()
    expect(reveal.locator("[data-copy-hint]")).to_contain_text("Select the key and copy it")
    secret = page.get_by_label("Your new API key").input_value()
    expect(key_row(page, "Mobile App")).to_contain_text("Active")
    assert call_api(site, secret).status_code == 200

    page.get_by_role("link", name="Done, I have saved it").click()
    expect(page).to_have_url(f"{site.url}/en/api-keys")
    assert secret not in page.content()

    key_row(page, "Mobile App").locator("td.actions a").click()
    expect(page).to_have_url(re.compile(r"/en/api-keys/[^/]+/revoke$"))
    expect(page.get_by_role("heading", name="Revoke a key", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Revoked keys cannot be restored")
    page.get_by_role("button", name="Revoke key").click()
    expect(page).to_have_url(f"{site.url}/en/api-keys")
    expect(page.locator("#messages")).to_contain_text("Key “Mobile App” revoked")
    expect(key_row(page, "Mobile App")).to_contain_text("Revoked")
    assert call_api(site, secret).status_code == 401
    assert problems.errors == []


def test_the_console_works_under_a_strict_csp_without_violations(shared_console, browser_context):
    site = shared_console.site()
    page, problems = open_page(browser_context)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, site)
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

    # Every script-driven control once: create (refused, then made), copy, done,
    # revoke-then-cancel, revoke, a search.
    open_create_form(page)
    submit_create_form(page, "   ")
    submit_create_form(page, "CSP check")
    page.locator("[data-reveal] button[data-copy]").click()
    expect(page.locator("[data-reveal] button[data-copy]")).to_have_text("Copied")
    page.get_by_role("link", name="Done, I have saved it").click()
    row = key_row(page, "CSP check")
    row.locator("td.actions a").click()
    page.locator("tr.confirm-row").get_by_role("link", name="Cancel").click()
    row.locator("td.actions a").click()
    page.locator("tr.confirm-row button[type=submit]").click()
    expect(row).to_contain_text("Revoked")
    page.get_by_label("Search by name").fill("CSP")
    page.get_by_label("Search by name").press("Enter")
    expect(page).to_have_url(re.compile(r"q=CSP"))

    assert problems.csp_violations() == []
    assert problems.console_errors() == [
        "error: Failed to load resource: the server responded with a status of 422 "
        "(UNPROCESSABLE ENTITY)"
    ]

    # And the browser does enforce the policy: an inline script is refused, and reported.
    with page.expect_console_message(lambda message: mentions_csp(message.text)):
        page.evaluate(INJECT_INLINE_SCRIPT)
    assert page.evaluate("window.__inlineScriptRan") is None


def test_a_blank_or_too_long_name_rerenders_the_form_in_place(shared_console, browser_context):
    site = shared_console.site()
    page, _ = open_page(browser_context)
    sign_in(page, site)
    mark_document(page)
    open_create_form(page)
    message = page.locator("#create-error")

    # Spaces get past the browser's `required` check, so the server has to say no.
    blank = submit_create_form(page, "   ")
    assert blank.status == 422
    expect(message).to_contain_text("Give the key a name")
    expect(message).to_be_focused()
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")

    # The field stops a person sending more; a client that ignores it is refused.
    page.locator("form[data-create-form]").evaluate("form => { form.noValidate = true; }")
    too_long = submit_create_form(page, "x" * 101)
    assert too_long.status == 422
    expect(message).to_contain_text("at most 100 characters")

    # The form replaced itself: one form, in its slot, in the same page.
    expect(page.locator("form[data-create-form]")).to_have_count(1)
    expect(page.locator("#form-slot form[data-create-form]")).to_have_count(1)
    expect(page.locator(".site-header")).to_have_count(1)
    expect(page.locator("[data-reveal]")).to_have_count(0)
    assert still_same_document(page)

    assert submit_create_form(page, "Mobile App").status == 200
    expect(page.locator("[data-reveal]")).to_be_visible()
    expect(page.locator("form[data-create-form]")).to_have_count(0)
    expect(key_row(page, "Mobile App")).to_have_count(1)


def test_a_name_typed_when_the_session_expired_is_offered_after_signing_in(
    shared_console, browser_context
):
    site = shared_console.site()
    page, problems = open_page(browser_context)
    sign_in(page, site)
    mark_document(page)
    open_create_form(page).locator("#key-name").fill("Typed before expiry")

    page.context.clear_cookies()
    page.get_by_role("button", name="Create key").click()

    # Back to the page the person was on, not to the fragment htmx asked for.
    expect(page).to_have_url(f"{site.url}/en/login?next=/en/api-keys")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    assert not still_same_document(page), "the sign-in page was swapped into the console"

    page.get_by_label("Email").fill(site.user.email)
    page.get_by_label("Password").fill(site.user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site.url}/en/api-keys")
    expect(page.locator("#key-name")).to_have_value("Typed before expiry")

    # Offered once: closed unused, it does not come back.
    page.keyboard.press("Escape")
    expect(page.locator("form[data-create-form]")).to_have_count(0)
    page.reload()
    expect(create_control(page)).to_be_visible()
    expect(page.locator("form[data-create-form]")).to_have_count(0)
    assert problems.csp_violations() == []


def test_keys_with_the_same_name_are_told_apart_and_exact_times_are_at_hand(
    shared_console, browser_context
):
    site = shared_console.site()
    page, _ = open_page(browser_context)
    sign_in(page, site)
    open_create_form(page)
    submit_create_form(page, "Deploy bot")
    open_create_form(page)
    submit_create_form(page, "Deploy bot")
    expect(page.locator("[data-reveal]").first).to_contain_text(
        "You have another key with this name"
    )

    prefixes = page.locator("#keys tbody code.prefix").all_inner_texts()
    assert len(prefixes) == 2 and prefixes[0] != prefixes[1]
    for prefix in prefixes:  # "Deploy bot (ck_AbCd…)": the prefix is in the name read out
        expect(page.get_by_role("link", name=f"Deploy bot ({prefix})", exact=True)).to_be_visible()
        expect(page.get_by_role("link", name=f"Revoke Deploy bot ({prefix})")).to_be_visible()

    # A keyboard (or a finger) reaches a key's exact times: its name leads to its page.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name=f"Deploy bot ({prefixes[0]})", exact=True).press("Enter")
    created = page.locator(".details time").first
    expect(created).to_have_text(re.compile(r"\d{4}, \d{1,2}:\d{2}:\d{2}\s?[AP]M \(UTC\)$"))
    assert created.get_attribute("datetime").startswith("20")
