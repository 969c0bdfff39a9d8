"""Small things a demanding user notices, in a real Chromium.

A reload that would make a second key, two Create buttons, a form offered past the cap,
the API reference's links.

The module shares one gunicorn; each test signs in as a user of its own.
"""

from __future__ import annotations

import pytest
from browser_support import create_control, open_page, sign_in
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.gunicorn]


@pytest.mark.parametrize("kind", ["create", "rotate"])
def test_without_javascript_sending_a_key_form_again_makes_no_second_key(
    shared_console, browser_context, kind
):
    site = shared_console.site()
    page, _ = open_page(browser_context, java_script_enabled=False)
    sign_in(page, site)
    if kind == "create":
        page.goto(f"{site.url}/en/api-keys/create")
        page.get_by_label("Name").fill("Mobile App")
        form = page.locator("form[data-create-form]")
        button = "Create key"
    else:
        key_id, _ = shared_console.factory.key(site.user, "Mobile App")
        page.goto(f"{site.url}/en/api-keys/{key_id}")
        form = page.locator("form.rotate-form")
        button = "Rotate key"
    action = form.get_attribute("action")
    fields = {
        name: form.locator(f"[name={name}]").input_value() for name in ("csrf_token", "form_token")
    }
    fields |= {"name": "Mobile App", "grace": "24h"}
    with page.expect_navigation():
        form.get_by_role("button", name=button).click()
    expect(page.locator("[data-reveal]")).to_have_count(1)

    # What a reload does: the same form, with the session as it is now.
    again = page.request.post(f"{site.url}{action}", form=fields, max_redirects=0)
    assert again.status == 303
    assert "ck_" not in again.text()
    page.goto(f"{site.url}/en/api-keys")
    # One key made (a rotation: the old one and its replacement), not one more.
    expect(page.locator("#keys tbody tr")).to_have_count(1 if kind == "create" else 2)


def test_the_empty_state_with_the_form_open_shows_one_create_button(
    shared_console, browser_context
):
    site = shared_console.site()
    page, problems = open_page(browser_context)
    sign_in(page, site)
    create_control(page).click()
    expect(page.locator("form[data-create-form]")).to_be_visible()
    expect(page.get_by_text("Create New Key", exact=True).locator("visible=true")).to_have_count(0)
    expect(page.get_by_role("button", name="Create key")).to_have_count(1)
    assert problems.console_errors() == []


def test_at_the_cap_the_create_page_says_so_instead_of_offering_the_form(
    shared_console, browser_context
):
    site = shared_console.site()
    for number in range(100):
        shared_console.factory.key(site.user, f"Worker {number:03d}")
    page, _ = open_page(browser_context)
    sign_in(page, site)
    page.goto(f"{site.url}/en/api-keys/create")
    expect(page.locator("#at-limit")).to_contain_text("You have reached the limit of active keys")
    expect(page.locator("form[data-create-form]")).to_have_count(0)


def test_the_console_links_to_the_api_reference_and_localized_docs_work(
    shared_console, browser_context
):
    site = shared_console.site()
    page, _ = open_page(browser_context)
    sign_in(page, site, "de")
    page.get_by_role("link", name="API-Referenz").click()
    expect(page).to_have_url(f"{site.url}/docs")
    answer = page.goto(f"{site.url}/de/docs")
    assert answer is not None and answer.status == 200
    expect(page).to_have_url(f"{site.url}/docs")
