"""/docs in a real headless Chromium: every operation shown, styled, and no CSP violation."""

from __future__ import annotations

import pytest
import requests
from browser_support import INJECT_INLINE_SCRIPT, mentions_csp, open_page
from playwright.sync_api import expect

from app.openapi.page import operations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.gunicorn,
    # The page reads no database.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

# Recorded by the browser itself, whatever its console says about the violation.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_docs_show_every_operation_without_a_csp_violation(database_url, gunicorn, browser_context):
    server = gunicorn(database_url)
    page, problems = open_page(browser_context)
    page.add_init_script(RECORD_CSP_VIOLATIONS)

    answer = page.goto(f"{server.url}/docs")

    assert answer is not None and answer.status == 200
    assert "unsafe-inline" not in answer.headers["content-security-policy"]
    document = requests.get(f"{server.url}/openapi.json", timeout=10).json()
    for operation in operations(document):
        section = page.locator(f"#{operation.anchor}")
        expect(section.get_by_role("heading", level=3)).to_have_text(
            f"{operation.method} {operation.path}"
        )
        expect(section.locator("pre.curl")).to_have_text(operation.curl)
        expect(section.locator("details.answer > summary")).to_have_count(len(operation.answers))
    # The stylesheets loaded under the policy: a method badge is coloured, not plain text.
    badge = page.locator("#op-getMe .method")
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    # A person can follow the table of contents to an operation.
    page.get_by_role("link", name="PATCH /api/admin/users/{user_id}").click()
    expect(page).to_have_url(f"{server.url}/docs#op-updateUser")

    assert page.evaluate("window.__cspViolations") == []
    assert problems.csp_violations() == []
    assert problems.console_errors() == []

    # And the policy is there to be violated: an inline script is refused.
    with page.expect_console_message(lambda message: mentions_csp(message.text)):
        page.evaluate(INJECT_INLINE_SCRIPT)
    assert page.evaluate("window.__cspViolations") != []
