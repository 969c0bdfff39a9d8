"""The console in a real browser: Debian's Chromium under Playwright, and the site it visits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from support.factory import Factory, UserInfo
from support.servers import LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class ConsoleSite:
    """A real gunicorn serving the console, and a user who can sign in to it."""

    url: str
    user: UserInfo
    server: LiveServer


@dataclass
class SharedConsole:
    """A gunicorn that a module's tests share, and a factory on its database."""

    url: str
    server: LiveServer
    factory: Factory

    def site(self, role: str = "standard") -> ConsoleSite:
        """The console for a fresh user of ``role`` (each test works as a user of its own)."""
        user = self.factory.user(role=role)
        return ConsoleSite(self.url, user, self.server)


def launch_chromium(
    playwright: Playwright, executable_path: str, *, back_forward_cache: bool = False
) -> Browser:
    """Launch the Chromium at ``executable_path`` headless (never a downloaded browser).

    Playwright turns Chromium's back/forward cache off; ``back_forward_cache=True`` keeps
    it on, as in a person's browser, for the tests of what the Back button shows.
    """
    ignored = ["--disable-back-forward-cache"] if back_forward_cache else None
    return playwright.chromium.launch(
        executable_path=executable_path,
        headless=True,
        args=CHROMIUM_ARGS,
        ignore_default_args=ignored,
    )


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    """A browser context with short timeouts: a console page answers in milliseconds."""
    context = browser.new_context(**options)
    context.set_default_timeout(5_000)
    context.set_default_navigation_timeout(10_000)
    return context
