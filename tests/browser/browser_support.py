"""Helpers for the browser tests: a page that records its console, and the console's steps."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import requests
from playwright.sync_api import ConsoleMessage, Error, Locator, Page, Response, expect

from app import PROJECT_ROOT

from support import services
from support.browser import ConsoleSite
from support.factory import Factory, UserInfo

# `make screenshots` writes them to docs/screenshots; a plain test run keeps the tree clean.
SCREENSHOTS = Path(
    os.environ.get("SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "chameleon-screenshots"
)
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
INJECT_INLINE_SCRIPT = """() => {
    const script = document.createElement("script");
    script.textContent = "window.__inlineScriptRan = true";
    document.body.append(script);
}"""
# Older Chromium says "Refused to execute inline script because it violates the following
# Content Security Policy directive"; Chromium 156 says "Executing inline script violates...".
CSP_SIGNS = ("Content Security Policy", "Content-Security-Policy", "Refused to")
# Where .ci/run installs Node packages (axios for the README, axe-core for these tests).
NODE_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chameleon-ci-node"


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


def sign_in(page: Page, site: ConsoleSite, locale: str = "en") -> None:
    """Sign in through the /<locale>/login form and land on the console."""
    page.goto(f"{site.url}/{locale}/login")
    page.locator("#email").fill(site.user.email)
    page.locator("#password").fill(site.user.password)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{site.url}/{locale}/api-keys")
    expect(page.locator("h1")).to_be_visible()
    # htmx is a deferred script: until the page has loaded, a form would post natively.
    page.wait_for_load_state("load")


def mark_document(page: Page) -> None:
    """Leave a marker on ``window``: it survives an HTMX swap, never a page load."""
    page.wait_for_load_state("load")  # htmx runs by then, so what follows is its swap
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


def create_control(page: Page) -> Locator:
    """The **Create New Key** control at the top of the keys page (or in the empty state)."""
    return page.locator("[data-opens-form]")


def open_create_form(page: Page) -> Locator:
    """Click **Create New Key** and return the form once it is there."""
    create_control(page).click()
    form = page.locator("form[data-create-form]")
    expect(form).to_be_visible()
    return form


def submit_create_form(
    page: Page, name: str, *, expires_in: str | None = None, access: str | None = None
) -> Response:
    """Fill in the create form, submit it and return the answer to the POST."""
    form = page.locator("form[data-create-form]")
    form.locator("#key-name").fill(name)
    if expires_in is not None:
        form.locator("#key-expires-in").select_option(expires_in)
    if access is not None:
        form.locator("#key-access").select_option(access)
    with page.expect_response(is_create_post) as answer:
        form.locator("button[type=submit]").click()
    return answer.value


def is_create_post(response: Response) -> bool:
    """Whether ``response`` answers the create form (``POST /<locale>/api-keys``)."""
    return response.request.method == "POST" and response.url.endswith("/api-keys")


def revealed_key(page: Page) -> str:
    """The key shown once in the newest reveal."""
    return page.locator("[data-reveal] textarea[data-secret]").first.input_value()


def key_row(page: Page, name: str) -> Locator:
    """The table row of the key called ``name`` (exactly)."""
    return page.locator("#keys tbody tr").filter(has=page.locator("th.key-name a", has_text=name))


def call_api(site: ConsoleSite, key: str, **headers: str) -> requests.Response:
    """Call ``POST /api/endpoint`` with ``key``, as a REST client would."""
    return requests.post(
        f"{site.url}/api/endpoint",
        headers={"X-API-Key": key, **headers},
        json={"from": "browser test"},
        timeout=10,
    )


def make_keys(factory: Factory, user: UserInfo, count: int) -> dict[str, str]:
    """``count`` keys named "Service 001"... with every status: a list long enough to page.

    Every fourth is revoked and every tenth (not revoked) expired, so the user stays under
    the cap on active keys. Returns each name's full key.
    """
    keys = {}
    for number in range(1, count + 1):
        name = f"Service {number:03d}"
        key_id, keys[name] = factory.key(user, name)
        if number % 4 == 0:
            factory.revoke(key_id)
        elif number % 10 == 0:
            factory.expire(key_id)
    return keys


def expect_names(page: Page, names: list[str]) -> None:
    """Wait until the keys table lists exactly ``names``, in this order."""
    links = page.locator("#keys tbody th.key-name a")
    # Each link reads "<name> (<prefix>…)": the prefix is there for screen readers.
    expect(links).to_have_text([re.compile(rf"^{re.escape(name)} \(ck_") for name in names])


def no_sideways_scroll(page: Page) -> int:
    """How many pixels the page scrolls sideways (0 when it fits the viewport).

    Waits for the page's load event first: Chromium answers a layout query before a
    pending stylesheet arrives, and an unstyled page with a long name is wide.
    """
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def axe_source() -> str:
    """axe-core's script (npm's ``axe-core``), from NODE_PATH or .ci/run's folder, or skip."""
    folders = [Path(part) for part in os.environ.get("NODE_PATH", "").split(os.pathsep) if part]
    folders.append(NODE_CACHE / "node_modules")
    for folder in folders:
        script = folder / "axe-core" / "axe.min.js"
        if script.is_file():
            return script.read_text()
    services.missing(
        "axe-core: `npm install axe-core` and put its node_modules on NODE_PATH (.ci/run does)"
    )
    raise AssertionError("unreachable")


def axe_violations(page: Page, source: str) -> list[str]:
    """Run axe-core on the page as it is now (every rule, any impact); one line a problem.

    The page's CSP forbids inline scripts: the context must have ``bypass_csp=True``.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=source)
    results = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ") + " " + n.failureSummary),
            }));
        }"""
    )
    return [
        f"{found['id']} ({found['impact']}): {found['help']}: {node}"
        for found in results
        for node in found["nodes"]
    ]


# --- The console in other languages ------------------------------------------------------

TRANSLATIONS = PROJECT_ROOT / "app" / "translations"
WORD = re.compile(r"[A-Za-z]{3,}")
# Not language: the user's data and technical names, taken out before looking for words.
NOT_LANGUAGE = re.compile(r"[\w.+-]+@[\w.-]+|ck_\w+|https?://\S+")


def translator(locale: str) -> Callable[[str], str]:
    """``gettext`` for ``locale``, from the app's catalogs (what the pages should say)."""
    from babel.support import Translations

    return Translations.load(str(TRANSLATIONS), [locale]).gettext


@cache
def english_words(locale: str) -> frozenset[str]:
    """Words of the English strings that ``locale``'s translations never use.

    Any of them on a page in that language is English left untranslated; words a
    translation keeps ("API", "UTC", "Chameleon") are not counted.
    """
    from babel.messages.pofile import read_po

    def words(texts) -> set[str]:
        return {word.lower() for text in texts for word in WORD.findall(text)}

    with (TRANSLATIONS / "messages.pot").open("rb") as file:
        template = read_po(file)
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalog = read_po(file, locale=locale)

    def texts(messages, field: str):
        for message in messages:
            value = getattr(message, field)
            yield from value if isinstance(value, tuple | list) else [value or ""]

    # Placeholders (%(name)s) are not words of any language.
    english = words(re.sub(r"%\(\w+\)\w", "", text) for text in texts(template, "id"))
    return frozenset(english - words(texts(catalog, "string")))


class _ReadText(HTMLParser):
    """What a page says to a person: text, and the attributes shown or read aloud."""

    SKIPPED = frozenset({"script", "style", "code", "pre", "textarea"})
    READ = ("aria-label", "title", "alt", "placeholder", "data-label")

    def __init__(self) -> None:
        super().__init__()
        self.skipping: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping.append(tag)
        for name, value in attrs:
            # console.js shows the words it keeps in <template id="console-words">.
            if value and (name in self.READ or (tag == "template" and name.startswith("data-"))):
                self.texts.append(value)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.texts.append(data)


def english_left(page: Page, locale: str, user_data: list[str]) -> set[str]:
    """English words on the page shown in ``locale`` (the user's own data aside)."""
    reader = _ReadText()
    reader.feed(page.content())
    text = " ".join(reader.texts)
    for data in user_data:
        text = text.replace(data, " ")
    text = NOT_LANGUAGE.sub(" ", text)
    return {word for word in WORD.findall(text) if word.lower() in english_words(locale)}
