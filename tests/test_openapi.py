"""GET /openapi.json and /docs: a valid OpenAPI 3.1 document that describes exactly the API.

The document is written by hand, so these tests hold it to the code: every route under
/api is an operation in it and every operation a route, every operation lists the answers
any request can get, and its lists of values are the code's. What each answer really looks
like is checked live by schemathesis (tests/e2e/test_openapi_live.py).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from markupsafe import escape
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from app.audit.actions import AuditAction
from app.errors import API_CODES
from app.keys.access import KeyAccess
from app.keys.status import KeyStatus
from app.openapi import document
from app.openapi.reading import METHODS, operations
from app.openapi.schemas import resolve
from app.roles import Role

from support.web import INLINE_SCRIPT, INLINE_STYLE

SPEC = document()
ERROR_SCHEMA = "#/components/schemas/Error"
UNAUTHORIZED_CODES = {"missing_api_key", "invalid_api_key", "expired_api_key"}
RATE_LIMIT_HEADERS = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
# Werkzeug's converters, <key_id> and <int(max=2147483647):user_id>, as OpenAPI's {name}.
CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>:]+)>")


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """(path, method) of every route under /api, as OpenAPI writes them.

    HEAD and OPTIONS are left out: Flask answers them for every route by itself.
    """
    return {
        (CONVERTER.sub(r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods or ()
        if method.lower() in METHODS
    }


def documented(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """(path, method) of every operation in the document."""
    return {(path, method) for path, item in spec["paths"].items() for method in item}


def drift(app: Flask, spec: dict[str, Any]) -> tuple[set, set]:
    """Routes the document does not describe, and operations no route serves."""
    routes, described = api_routes(app), documented(spec)
    return routes - described, described - routes


def each_operation() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def answers(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {status: resolve(SPEC, answer) for status, answer in operation["responses"].items()}


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in the document, however deep."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_openapi_json_is_served_to_anyone_without_a_key(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == SPEC
    # Outside /api: no key hook, so no 401 and no budget headers.
    assert "WWW-Authenticate" not in response.headers
    assert "X-RateLimit-Limit" not in response.headers


def test_the_document_is_valid_openapi_3_1():
    assert SPEC["openapi"].startswith("3.1.")
    validate(SPEC)  # raises, naming the first problem


def test_every_api_route_is_an_operation_and_every_operation_a_route(app):
    undocumented, unserved = drift(app, SPEC)
    assert undocumented == set(), "routes under /api that openapi.json does not describe"
    assert unserved == set(), "operations in openapi.json that no route serves"


def test_the_comparison_notices_an_undocumented_route_and_an_unserved_operation(app):
    app.add_url_rule("/api/keys/<key_id>/rename", "rename", lambda key_id: "", methods=["POST"])
    spec = copy.deepcopy(SPEC)
    del spec["paths"]["/api/me"]
    spec["paths"]["/api/keys/{key_id}"] = {"delete": spec["paths"]["/api/keys/{key_id}/revoke"]}

    undocumented, unserved = drift(app, spec)

    assert undocumented == {("/api/keys/{key_id}/rename", "post"), ("/api/me", "get")}
    assert unserved == {("/api/keys/{key_id}", "delete")}


def test_every_operation_lists_the_answers_any_request_can_get():
    for path, method, operation in each_operation():
        statuses = set(operation["responses"])
        where = f"{method.upper()} {path}"
        assert {"200", "401", "429", "503"} <= statuses, where
        # A catch-all would let any status pass schemathesis's check unnoticed.
        assert not statuses & {"default", "4XX", "5XX"}, where
        if "{" in path:
            assert "404" in statuses, where  # an id that is nobody's (or not the caller's)
        if path.startswith("/api/admin/") or method != "get":
            assert "403" in statuses, where  # another role, or a read-only key writing
        parameters = [resolve(SPEC, parameter) for parameter in operation.get("parameters", [])]
        if any(parameter["name"] == "limit" for parameter in parameters):
            assert "400" in statuses, where  # a bad ?limit= or ?cursor=
        if "requestBody" in operation:
            assert {"400", "408", "413"} <= statuses, where  # bad JSON, slow, too big


def test_every_answer_says_which_headers_it_carries():
    for path, method, operation in each_operation():
        for status, answer in answers(operation).items():
            headers = {name: resolve(SPEC, header) for name, header in answer["headers"].items()}
            where = f"{method.upper()} {path} {status}"
            assert set(headers) >= RATE_LIMIT_HEADERS, where
            assert all(header["required"] for header in headers.values()), where
            assert ("WWW-Authenticate" in headers) == (status == "401"), where
            assert ("Retry-After" in headers) == (status in ("429", "503")), where


def test_every_error_answer_is_the_shared_error_shape_with_its_codes():
    codes = set(
        resolve(SPEC, {"$ref": ERROR_SCHEMA})["properties"]["error"]["properties"]["code"]["enum"]
    )
    for path, method, operation in each_operation():
        for status, answer in answers(operation).items():
            schema = answer["content"]["application/json"]["schema"]
            if int(status) < 400:
                assert schema.get("$ref") != ERROR_SCHEMA
                continue
            assert schema["$ref"] == ERROR_SCHEMA, f"{method.upper()} {path} {status}"
            code = schema["properties"]["error"]["properties"]["code"]
            allowed = {code["const"]} if "const" in code else set(code["enum"])
            assert allowed <= codes
            expected = UNAUTHORIZED_CODES if status == "401" else {API_CODES[int(status)]}
            assert allowed == expected, f"{method.upper()} {path} {status}"


def test_the_documents_lists_of_values_are_the_codes():
    schemas = SPEC["components"]["schemas"]
    assert tuple(schemas["Role"]["enum"]) == tuple(Role)
    assert tuple(schemas["AuditEvent"]["properties"]["action"]["enum"]) == tuple(AuditAction)
    action_filter = next(
        parameter
        for parameter in SPEC["paths"]["/api/admin/audit"]["get"]["parameters"]
        if parameter.get("name") == "action"
    )
    assert tuple(action_filter["schema"]["enum"]) == tuple(AuditAction)
    key = schemas["KeyFields"]["properties"]
    assert tuple(key["access"]["enum"]) == tuple(KeyAccess)
    assert tuple(key["status"]["enum"]) == tuple(KeyStatus)


def test_the_document_has_no_openapi_3_0_leftovers():
    for node in walk(SPEC):
        assert "nullable" not in node, node  # 3.1 writes "type": ["string", "null"]


def test_every_example_matches_its_schema():
    checked = 0
    for path, method, operation in each_operation():
        media = [answer["content"]["application/json"] for answer in answers(operation).values()]
        if "requestBody" in operation:
            media.append(operation["requestBody"]["content"]["application/json"])
        for item in media:
            examples = [item["example"]] if "example" in item else []
            examples += [example["value"] for example in item.get("examples", {}).values()]
            # Refs point into the document: validate with it as the root.
            validator = OAS31Validator({**item["schema"], "components": SPEC["components"]})
            for example in examples:
                errors = [error.message for error in validator.iter_errors(example)]
                assert errors == [], f"{method.upper()} {path}: {errors}"
                checked += 1
    assert checked > len(list(each_operation())) * 3


def test_docs_page_shows_every_operation_with_its_fields_and_a_curl(client):
    response = client.get("/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for operation in operations(SPEC):
        assert f'id="{operation.anchor}"' in page
        assert f"<code>{operation.path}</code>" in page
        assert escape(operation.summary) in page
        assert escape(operation.curl) in page
        for answer in operation.answers:
            assert all(f"<code>{field.name}</code>" in page for field in answer.fields)
    assert 'href="/openapi.json"' in page


def test_docs_page_runs_no_script_under_the_strict_policy(client):
    response = client.get("/docs")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    page = response.get_data(as_text=True)
    assert "<script" not in page
    assert INLINE_SCRIPT.search(page) is None and INLINE_STYLE.search(page) is None
    assert "/static/css/api_docs.css" in page


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_the_reference_is_neither_rate_limited_nor_localized(client, path):
    # More requests than any role's budget: only /api counts them.
    for _ in range(120):
        response = client.get(path, headers={"Accept-Language": "de"})
        assert response.status_code == 200
    assert "X-RateLimit-Remaining" not in response.headers
