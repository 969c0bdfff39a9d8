"""GET /openapi.json and /docs: a valid OpenAPI 3.1 document, generated from the views.

The document is made from what the views declare, so these tests hold the declarations
to the routes: every route under /api is an operation and every operation a route, each
declares its own answer, the shared answers follow their rules, and the README's table
lists exactly the operations. tests/test_openapi_answers.py produces every declared
answer; tests/e2e/test_openapi_live.py runs schemathesis against a real gunicorn.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from markupsafe import escape
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from app import create_app, openapi
from app.api import ApiBlueprint
from app.audit.actions import AuditAction
from app.keys.access import KeyAccess
from app.keys.status import KeyStatus
from app.openapi.page import METHODS, operations
from app.openapi.words import resolve
from app.roles import Role

from support.apps import BASE_CONFIG, dispose_engines
from support.web import INLINE_SCRIPT, INLINE_STYLE

README = Path(__file__).resolve().parent.parent / "README.md"
RATE_LIMIT_HEADERS = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
# Werkzeug's converters, <key_id> and <int(min=1, max=...):user_id>, as OpenAPI's {name}.
CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>:]+)>")
README_OPERATION = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/api/[^`\s]*)`")


@pytest.fixture(scope="module")
def described_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app for what needs its routes and document only (it never opens its database)."""
    folder = tmp_path_factory.mktemp("openapi")
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/app.db"})
    yield app
    dispose_engines(app)


@pytest.fixture(scope="module")
def spec(described_app: Flask) -> dict[str, Any]:
    return openapi.document(described_app)


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


def each_operation(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def documented(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, method, _ in each_operation(spec)}


def drift(app: Flask, spec: dict[str, Any]) -> tuple[set, set]:
    """Routes the document does not describe, and operations no route serves."""
    routes, described = api_routes(app), documented(spec)
    return routes - described, described - routes


def undeclared_answers(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """Operations whose view declares no successful answer with its JSON schema."""
    return {
        (path, method)
        for path, method, operation in each_operation(spec)
        if not any(
            status.startswith("2") and "schema" in answer["content"]["application/json"]
            for status, answer in operation["responses"].items()
            if "content" in answer
        )
    }


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in the document, however deep."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_openapi_json_is_served_to_anyone_without_a_key(client, spec):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == spec
    # Outside /api: no key hook, so no 401 and no budget headers.
    assert "WWW-Authenticate" not in response.headers
    assert "X-RateLimit-Limit" not in response.headers


def test_the_document_is_valid_openapi_3_1_with_the_packages_version(spec):
    assert spec["openapi"].startswith("3.1.")
    validate(spec)  # raises, naming the first problem
    assert spec["info"]["version"] == version("chameleon-api-keys")
    assert spec["security"] == [{"ApiKey": []}]
    scheme = spec["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-API-Key")


def test_every_api_route_is_an_operation_and_every_operation_a_route(described_app, spec):
    assert len(documented(spec)) >= 12
    undocumented, unserved = drift(described_app, spec)
    assert undocumented == set(), "routes under /api that the document does not describe"
    assert unserved == set(), "operations in the document that no route serves"


def test_the_comparison_notices_an_undocumented_route_and_an_unserved_operation(app, spec):
    app.add_url_rule("/api/keys/<key_id>/rename", "rename", lambda key_id: "", methods=["POST"])
    spec = copy.deepcopy(spec)
    del spec["paths"]["/api/me"]
    spec["paths"]["/api/keys/{key_id}"] = {"delete": spec["paths"]["/api/keys/{key_id}/revoke"]}

    undocumented, unserved = drift(app, spec)

    assert undocumented == {("/api/keys/{key_id}/rename", "post"), ("/api/me", "get")}
    assert unserved == {("/api/keys/{key_id}", "delete")}


def test_every_operation_declares_its_own_answer(spec):
    assert undeclared_answers(spec) == set()


def test_a_route_without_a_declared_answer_is_noticed():
    extra = ApiBlueprint("extra", __name__, url_prefix="/api/extra")

    @extra.route("/thing")
    def thing():
        return {}

    app = Flask(__name__)
    openapi.init_app(app, extra)

    assert undeclared_answers(openapi.document(app)) == {("/api/extra/thing", "get")}


def test_the_shared_answers_follow_their_rules(spec):
    for path, method, operation in each_operation(spec):
        statuses = set(operation["responses"])
        where = f"{method.upper()} {path}"
        # An operation anyone may call declares its own 401 and 429, if it has them; any key
        # may be refused by its allowed networks, so every keyed operation may answer 403.
        keyless = operation.get("security") == []
        assert ({"503"} if keyless else {"401", "403", "429", "503"}) <= statuses, where
        assert ("403" in statuses) != keyless, where
        # A catch-all would let any status pass schemathesis's check unnoticed.
        assert not statuses & {"default", "4XX", "5XX"}, where
        assert ("404" in statuses) == ("{" in path), where
        assert ("409" in statuses) == path.endswith("/enable"), where
        query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
        body = "requestBody" in operation
        assert ("400" in statuses) == (bool(query) or body), where
        assert ({"408", "413"} <= statuses) == body, where


def test_every_answer_says_which_headers_it_carries(spec):
    for path, method, operation in each_operation(spec):
        for status, answer in operation["responses"].items():
            answer = resolve(spec, answer)
            headers = {name: resolve(spec, header) for name, header in answer["headers"].items()}
            where = f"{method.upper()} {path} {status}"
            assert set(headers) >= RATE_LIMIT_HEADERS, where
            assert all(header["required"] for header in headers.values()), where
            assert ("WWW-Authenticate" in headers) == (status == "401"), where
            assert ("Retry-After" in headers) == (status in ("429", "503")), where


def test_the_documents_lists_of_values_are_the_codes(spec):
    schemas = spec["components"]["schemas"]
    for name in ("Me", "User", "Caller"):
        assert tuple(schemas[name]["properties"]["role"]["enum"]) == tuple(Role), name
    assert tuple(schemas["AuditEvent"]["properties"]["action"]["enum"]) == tuple(AuditAction)
    parameters = spec["paths"]["/api/admin/audit"]["get"]["parameters"]
    action = next(parameter for parameter in parameters if parameter["name"] == "action")
    assert tuple(action["schema"]["enum"]) == tuple(AuditAction)
    key = schemas["Key"]["properties"]
    assert tuple(key["access"]["enum"]) == tuple(KeyAccess)
    assert tuple(key["status"]["enum"]) == tuple(KeyStatus)


def test_paging_is_declared_once_with_its_bounds(spec):
    for path, _method, operation in each_operation(spec):
        parameters = {p["name"]: p["schema"] for p in operation.get("parameters", [])}
        if "limit" in parameters:
            assert parameters["limit"] == {
                "type": "integer", "default": 100, "minimum": 1, "maximum": 1000,
            }, path  # fmt: skip
            assert parameters["cursor"]["type"] == "string", path


def test_the_document_has_no_openapi_3_0_leftovers(spec):
    for node in walk(spec):
        assert "nullable" not in node, node  # 3.1 writes "type": ["string", "null"]


def test_every_example_matches_its_schema(spec):
    checked = 0
    for path, method, operation in each_operation(spec):
        media = [
            resolve(spec, answer)["content"]["application/json"]
            for answer in operation["responses"].values()
        ]
        if "requestBody" in operation:
            media.append(operation["requestBody"]["content"]["application/json"])
        for item in media:
            examples = [item["example"]] if "example" in item else []
            examples += [example["value"] for example in item.get("examples", {}).values()]
            # Refs point into the document: validate with it as the root.
            validator = OAS31Validator({**item["schema"], "components": spec["components"]})
            for example in examples:
                errors = [error.message for error in validator.iter_errors(example)]
                assert errors == [], f"{method.upper()} {path}: {errors}"
                checked += 1
    assert checked > len(documented(spec)) * 3


def test_the_readme_table_lists_exactly_the_documents_operations(spec):
    section = README.read_text(encoding="utf-8").split("## The API", 1)[1]
    table = re.search(r"\n\|[^\n]*\n\|[-| ]+\n((?:\|[^\n]*\n)+)", section)
    assert table is not None, "README has no table under ## The API"
    listed = {
        (method.lower(), path)
        for row in table.group(1).splitlines()
        for method, path in README_OPERATION.findall(row.split("|")[1])
    }
    described = {(method, re.sub(r"\{[^}]+\}", "<id>", path)) for path, method in documented(spec)}
    assert listed - described == set(), "README rows that are not operations"
    assert described - listed == set(), "operations the README's table leaves out"


def test_docs_page_shows_every_operation_with_its_fields_and_a_curl(client, spec):
    response = client.get("/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for operation in operations(spec):
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


RESOURCE_OF_PATH = {
    "/api/endpoint": "endpoint",
    "/api/keys": "keys",
    "/api/audit": "audit",
    "/api/admin": "admin",
}


def test_every_operation_names_the_permission_it_needs(spec):
    keyless = set()
    for path, method, operation in each_operation(spec):
        where = f"{method.upper()} {path}"
        requirements = operation.get("security")
        if requirements == []:  # anyone may call it: no key, so no permission
            keyless.add(where)
            continue
        assert requirements and list(requirements[0]) == ["ApiKey"], where
        roles = requirements[0]["ApiKey"]
        assert len(roles) == 1, f"{where} names no permission"
        if path == "/api/me":
            assert roles == ["any"], where
            continue
        resource = next(r for prefix, r in RESOURCE_OF_PATH.items() if path.startswith(prefix))
        level = "read" if method == "get" else "write"
        assert roles == [f"{resource}:{level}"], where
    assert keyless == {"POST /api/keys/revoke-leaked", "POST /api/leaks/github"}
