"""HTMX awareness in one place: whether htmx asked, and so whether to answer a fragment."""

from __future__ import annotations

import json

from flask import render_template, request


def is_htmx() -> bool:
    """Whether htmx sent this request (and will swap the answer into the page)."""
    return request.headers.get("HX-Request") == "true"


def is_history_restore() -> bool:
    """Whether htmx asks for a whole page to restore history (it needs the full page)."""
    return request.headers.get("HX-History-Restore-Request") == "true"


def announce(message: str) -> dict[str, str]:
    """Headers that make htmx raise an "announce" event (console.js speaks it aloud)."""
    return {"HX-Trigger": json.dumps({"announce": message})}


def render_page_or_fragment(page: str, fragment: str, **context: object) -> str:
    """Render ``fragment`` for an HTMX request and ``page`` (which includes it) otherwise."""
    if is_htmx() and not is_history_restore():
        return render_template(fragment, **context)
    return render_template(page, **context)
