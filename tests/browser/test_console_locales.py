"""The console in Spanish, German and Chinese, in Chromium: chosen, remembered, complete.

A browser that asks for German gets German from the first page on; the language switcher
moves to another and the choice is remembered. In each language the key's whole journey
(create, the one-time reveal, the confirmation, the revoked row) works with htmx and with
JavaScript off, and no English is left on the way: only the user's own data. Each
language's keys page (English too) is saved, to docs/screenshots/ under `make screenshots`.
"""

from __future__ import annotations

import re

import pytest
from browser_support import (
    SCREENSHOTS,
    VIEWPORTS,
    call_api,
    create_control,
    english_left,
    key_row,
    mark_document,
    open_page,
    revealed_key,
    sign_in,
    still_same_document,
    submit_create_form,
    translator,
)
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]

# Key names that are no English word (user data: they stay as typed).
NAMES = {"en": "Payroll-7", "es": "Nómina-7", "de": "Lohnbuchhaltung-7", "zh": "工资单-7"}


def test_a_german_browser_gets_german_and_the_switcher_choice_is_remembered(
    shared_console, browser_context
):
    site = shared_console.site()
    german, chinese = translator("de"), translator("zh")
    page, problems = open_page(browser_context, locale="de-DE")

    page.goto(f"{site.url}/api-keys")
    expect(page).to_have_url(re.compile(r"/de/login\?next="))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text(german("Sign in"))
    page.get_by_label(german("Email")).fill(site.user.email)
    page.get_by_label(german("Password")).fill(site.user.password)
    page.get_by_role("button", name=german("Sign in")).click()
    expect(page).to_have_url(f"{site.url}/de/api-keys")
    expect(page.get_by_role("heading", level=1)).to_have_text(german("API keys"))
    assert english_left(page, "de", [site.user.email]) == set()

    page.get_by_role("navigation", name=german("Language")).get_by_role("link", name="中文").click()
    expect(page).to_have_url(f"{site.url}/zh/api-keys")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    expect(page.get_by_role("heading", level=1)).to_have_text(chinese("API keys"))
    assert english_left(page, "zh", [site.user.email]) == set()

    # A new visit to the address without a language comes back to Chinese.
    again = page.context.new_page()
    again.goto(f"{site.url}/api-keys")
    expect(again).to_have_url(f"{site.url}/zh/api-keys")
    expect(again.get_by_role("heading", level=1)).to_have_text(chinese("API keys"))
    assert problems.console_errors() == []


@pytest.mark.parametrize("locale", ["en", "es", "de", "zh"])
@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_the_key_journey_in_each_language_leaves_no_english(
    shared_console, browser_context, locale, javascript
):
    site = shared_console.site()
    t = translator(locale)
    name = NAMES[locale]
    page, problems = open_page(
        browser_context, java_script_enabled=javascript, viewport=VIEWPORTS["desktop"]
    )
    english: dict[str, set[str]] = {}

    def check(state: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", locale)
        if locale == "en":
            return
        left = english_left(page, locale, [name, site.user.email])
        if left:
            english[state] = left

    sign_in(page, site, locale)
    check("empty")
    if javascript:
        mark_document(page)
        create_control(page).click()
    else:
        create_control(page).click()
        expect(page).to_have_url(f"{site.url}/{locale}/api-keys/create")
    check("create form")
    submit_create_form(page, name)
    reveal = page.locator("[data-reveal]")
    expect(reveal).to_contain_text(t("Copy it now: you will not see it again."))
    row = key_row(page, name)
    expect(row).to_contain_text(t("Active"))
    check("reveal")
    key = revealed_key(page)
    assert call_api(site, key).status_code == 200
    if javascript:
        assert still_same_document(page), "the row was not added in place"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("body").evaluate("body => document.activeElement?.blur()")
        page.screenshot(path=SCREENSHOTS / f"console-keys-desktop-{locale}.png")

    reveal.get_by_role("link", name=t("Done, I have saved it")).click()
    expect(reveal).to_have_count(0)
    row.locator("td.actions a").click()
    if javascript:
        confirmation: Page | object = page.locator("#keys tr.confirm-row")
    else:
        expect(page).to_have_url(re.compile(rf"/{locale}/api-keys/[^/]+/revoke$"))
        confirmation = page.locator("main")
    expect(confirmation).to_contain_text(t("Revoked keys cannot be restored."))
    check("confirmation")
    confirmation.get_by_role("button", name=t("Revoke key")).click()

    expect(row).to_contain_text(t("Revoked"))
    if javascript:
        expect(row.locator(".status-note")).to_have_text(
            t("Key “%(name)s” revoked.") % {"name": name}
        )
        assert still_same_document(page), "the row was not revoked in place"
    else:
        expect(page.locator("#messages")).to_contain_text(
            t("Key “%(name)s” revoked. Requests using it are now refused.") % {"name": name}
        )
    check("revoked")
    assert call_api(site, key).status_code == 401
    assert english == {}, f"English left on the {locale} pages: {english}"
    if javascript:
        assert problems.console_errors() == []
