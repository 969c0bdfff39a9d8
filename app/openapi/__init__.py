"""GET /openapi.json: the JSON API described in OpenAPI 3.1.

The document is written by hand (``openapi.json`` beside this module) and served as it is.
Tests hold it to the code both ways: tests/test_openapi.py fails when a route under /api
has no operation in it or an operation has no route, and tests/e2e/test_openapi_live.py
runs schemathesis over it against a real gunicorn, failing on any answer it does not
describe. It needs no key: it sits outside /api, so the key hook, its budgets and its
headers never apply to it.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app

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
