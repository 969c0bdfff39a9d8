"""GET /openapi.json, the JSON API described in OpenAPI 3.1, and /docs, the same for people.

The document is written by hand (``openapi.json`` beside this module) and served as it is.
Tests hold it to the code both ways: tests/test_openapi.py fails when a route under /api
has no operation in it or an operation has no route, and tests/e2e/test_openapi_live.py
runs schemathesis over it against a real gunicorn, failing on any answer it does not
describe. Neither page needs a key: they sit outside /api, so the key hook, its budgets
and its headers never apply to them.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template
from markupsafe import Markup, escape

from app.openapi.reading import operations

DOCUMENT = Path(__file__).with_name("openapi.json")

bp = Blueprint("openapi", __name__)


@functools.cache
def document_text() -> str:
    """The document as served (read once per process)."""
    return DOCUMENT.read_text(encoding="utf-8")


@functools.cache
def document() -> dict[str, Any]:
    """The document, parsed."""
    return json.loads(document_text())


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI 3.1 document of every /api operation."""
    return current_app.response_class(document_text(), mimetype="application/json")


@bp.get("/docs")
def docs() -> str:
    """The document as a page: every operation, its fields, answers and a curl example.

    Rendered on the server from the document itself, so it can say nothing the document
    does not, and needs no script (the CSP allows none inline).
    """
    spec = document()
    return render_template(
        "api_docs/index.html",
        info=spec["info"],
        tags=spec.get("tags", []),
        operations=operations(spec),
        prose=prose,
    )


_CODE_SPAN = re.compile(r"`([^`]+)`")


def prose(text: str) -> Markup:
    """A description as HTML: paragraphs at blank lines, `code` spans; nothing else."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        html = _CODE_SPAN.sub(r"<code>\1</code>", str(escape(paragraph.strip())))
        paragraphs.append(f"<p>{html}</p>")
    return Markup("\n".join(paragraphs))  # noqa: S704  (built from escaped text only)
