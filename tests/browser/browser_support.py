"""Helpers for the browser tests: a page that records its console, and the console's steps."""

from __future__ import annotations

from dataclasses import dataclass, field

import requests
from playwright.sync_api import ConsoleMessage, Error, Locator, Page, Response, expect

from app import PROJECT_ROOT

SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
INJECT_INLINE_SCRIPT = """() => {
    const script = document.createElement("script");
    script.textContent = "window.__inlineScriptRan = true";
    document.body.append(script);
}"""
# Older Chromium says "Refused to execute inline script because it violates the following
# Content Security Policy directive"; Chromium 156 says "Executing inline script violates...".
CSP_SIGNS = ("Content Security Policy", "Content-Security-Policy", "Refused to")


@dataclass
class PageProblems:
    """What a page said in its console and which scripts failed, while a test drove it."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        """Record ``page``'s console messages and uncaught errors from now on."""
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        return page

    def _on_console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")

    def _on_page_error(self, error: Error) -> None:
        self.errors.append(str(error))

    def console_errors(self) -> list[str]:
        """Every error the page logged (failed loads, script errors, CSP refusals)."""
        return [text for text in self.console if text.startswith("error:")] + self.errors

    def csp_violations(self) -> list[str]:
        """Every message in which the browser reports blocking something under the CSP."""
        return [text for text in self.console + self.errors if mentions_csp(text)]


def mentions_csp(text: str) -> bool:
    """Whether a console line reports a CSP violation (Chromium's wording changes over time)."""
    return any(sign in text for sign in CSP_SIGNS)


def open_page(browser_context, **options) -> tuple[Page, PageProblems]:
    """A fresh context (own cookies) with one page whose console is being recorded."""
    problems = PageProblems()
    page = browser_context(**options).new_page()
    return problems.watch(page), problems


def sign_in(page: Page, site) -> None:
    """Sign in through the /login form and land on the console."""
    page.goto(f"{site.url}/login")
    page.get_by_label("Email").fill(site.user.email)
    page.get_by_label("Password").fill(site.user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site.url}/api-keys")
    expect(page.get_by_role("heading", name="API keys", level=1)).to_be_visible()


def mark_document(page: Page) -> None:
    """Leave a marker on ``window``: it survives an HTMX swap, never a page load."""
    page.evaluate("window.__sameDocument = true")


def still_same_document(page: Page) -> bool:
    """Whether the document marked by ``mark_document`` is still the one shown."""
    return page.evaluate("window.__sameDocument === true")


def count_page_loads(page: Page) -> list[str]:
    """A list that collects the URL of every main-frame navigation from now on."""
    loads: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: loads.append(frame.url) if frame is page.main_frame else None,
    )
    return loads


def open_create_form(page: Page) -> None:
    """Click the header's **Create New Key** and wait for the form."""
    page.locator(".page-head").get_by_role("link", name="Create New Key").click()
    expect(page.get_by_role("heading", name="Create a new key")).to_be_visible()


def submit_create_form(page: Page, name: str) -> Response:
    """Type ``name`` into the create form, submit it and return the answer to the POST."""
    page.get_by_label("Name").fill(name)
    with page.expect_response(is_create_post) as answer:
        page.get_by_role("button", name="Create key").click()
    return answer.value


def is_create_post(response: Response) -> bool:
    """Whether ``response`` answers the create form (``POST /api-keys``)."""
    return response.request.method == "POST" and response.url.endswith("/en/api-keys")


def key_row(page: Page, name: str) -> Locator:
    """The table row of the key called ``name``."""
    return page.locator("#keys tbody tr", has=page.locator("th", has_text=name))


def call_api(site, key: str) -> requests.Response:
    """Call ``POST /api/endpoint`` with ``key``, as a REST client would."""
    return requests.post(
        f"{site.url}/api/endpoint", headers={"X-API-Key": key}, json={"from": "browser test"}
    )
