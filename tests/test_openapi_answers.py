"""Every answer the document declares is one the API really gives, as declared.

For each operation and each status it lists, a request made to get that status gets it,
with one of the declared error codes, the declared headers and a body that fits the
declared schema. A status with no way to produce it here fails the test: declare an
answer, and show how a client gets it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_schema_validator import OAS31Validator
from werkzeug.test import TestResponse

from app import create_app, openapi
from app.keys.format import generate_key
from app.openapi.page import METHODS
from app.openapi.words import resolve
from app.paging import MAX_ROW_ID

from support.apps import BASE_CONFIG, dispose_engines
from support.factory import Factory
from support.secret_scanning import Signer

CLOSED_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"
NOBODYS_KEY_ID = "AAAAAAAAAAAA"
TOO_LARGE = b"[" + b"1," * 600_000 + b"1]"  # over the default 1 MiB
NO_BODY = object()
# GitHub's reports are signed; the test signs them as GitHub does whenever it sends a key.
GITHUB = Signer()
SIGNED_PATHS = {"/api/leaks/github"}


@pytest.fixture
def config_overrides() -> dict:
    # A premium key spends its budget in one request: the next is a 429.
    return {
        "ROLE_RATE_LIMITS": {
            "standard": "100 per minute",
            "premium": "1 per minute",
            "admin": "1000 per minute",
        },
        "SECRET_SCANNING_PUBLIC_KEYS": GITHUB.config(),
    }


class Stalls(io.BytesIO):
    """A request body whose client stops sending: gunicorn's read times out."""

    def read(self, *_args: Any) -> bytes:
        raise TimeoutError("timed out")

    readinto = read


@dataclass
class Operation:
    """One operation of the document, and the request that reaches it."""

    spec: dict[str, Any]
    method: str
    path: str
    declared: dict[str, Any]

    @property
    def body_schema(self) -> dict[str, Any] | None:
        body = self.declared.get("requestBody")
        return None if body is None else body["content"]["application/json"]["schema"]

    @property
    def body_example(self) -> Any:
        media = self.declared["requestBody"]["content"]["application/json"]
        return (
            media["example"]
            if "example" in media
            else next(iter(media["examples"].values()))["value"]
        )

    def takes_query(self) -> bool:
        return any(p["in"] == "query" for p in self.declared.get("parameters", []))


@dataclass
class Callers:
    """The keys and ids the requests use."""

    app: Flask
    factory: Factory
    admin: Any
    admin_key: str
    read_key: str
    restricted_key: str  # no permission on anything
    elsewhere_key: str  # allowed only from an address the tests never use
    standard_key: str
    spent_key: str
    other_user_id: int

    def fresh_key_id(self) -> str:
        return self.factory.key(self.admin, "spare")[0]


def send(
    client: FlaskClient,
    operation: Operation,
    key: str | None,
    ids: dict[str, Any],
    *,
    query: dict[str, str] | None = None,
    body: Any = NO_BODY,
    **options: Any,
) -> TestResponse:
    """``operation`` with the ids in its path, the key, the query string and the body."""
    path = operation.path.format(**ids)
    headers = {"X-API-Key": key} if key else {}
    if body is NO_BODY and operation.body_schema is not None and "data" not in options:
        body = operation.body_example
    if body is not NO_BODY:
        options["data"] = json.dumps(body).encode()
        options["content_type"] = "application/json"
    if key and operation.path in SIGNED_PATHS and isinstance(options.get("data"), bytes):
        headers.update(GITHUB.headers(options["data"]))
    return client.open(
        path, method=operation.method, headers=headers, query_string=query, **options
    )


def existing(callers: Callers) -> dict[str, Any]:
    return {"key_id": callers.fresh_key_id(), "user_id": callers.other_user_id}


def answer_200(client, op, callers):
    return send(client, op, callers.admin_key, existing(callers))


def answer_400(client, op, callers):
    if op.takes_query():
        return send(client, op, callers.admin_key, existing(callers), query={"limit": "0"})
    ids = existing(callers)
    if op.body_schema:  # declared fields: one it does not declare
        return send(client, op, callers.admin_key, ids, body={"colour": "red"})
    return send(client, op, callers.admin_key, ids, data="{bad", content_type="application/json")


def answer_401(client, op, callers):
    return send(client, op, None, existing(callers))


def answer_403(client, op, callers):
    if op.path.startswith("/api/admin/"):
        key = callers.standard_key
    elif op.path == "/api/me":  # every key may call it: refused only by its networks
        key = callers.elsewhere_key
    else:
        key = callers.restricted_key
    return send(client, op, key, existing(callers))


def answer_409(client, op, callers):
    key_id = callers.fresh_key_id()
    callers.factory.revoke(key_id)
    return send(client, op, callers.admin_key, {"key_id": key_id})


def answer_404(client, op, callers):
    return send(client, op, callers.admin_key, {"key_id": NOBODYS_KEY_ID, "user_id": MAX_ROW_ID})


def answer_408(client, op, callers):
    return send(
        client, op, callers.admin_key, existing(callers),
        data=None, input_stream=Stalls(), content_type="application/json",
        environ_overrides={"CONTENT_LENGTH": "16"},
    )  # fmt: skip


def answer_413(client, op, callers):
    return send(
        client, op, callers.admin_key, existing(callers),
        data=TOO_LARGE, content_type="application/json",
    )  # fmt: skip


def answer_429(client, op, callers):
    if op.declared.get("security") == []:  # a route limit per address: spend it
        for _ in range(100):
            answer = send(client, op, None, existing(callers))
            if answer.status_code == 429:
                return answer
    return send(client, op, callers.spent_key, existing(callers))


ANSWERS: dict[str, Callable[[FlaskClient, Operation, Callers], TestResponse]] = {
    "200": answer_200,
    "202": answer_200,
    "400": answer_400,
    "401": answer_401,
    "403": answer_403,
    "404": answer_404,
    "408": answer_408,
    "409": answer_409,
    "413": answer_413,
    "429": answer_429,
}


def operations(spec: dict[str, Any]) -> list[Operation]:
    return [
        Operation(spec, method.upper(), path, item[method])
        for path, item in spec["paths"].items()
        for method in METHODS
        if method in item
    ]


def mismatches(spec: dict[str, Any], op: Operation, status: str, response: TestResponse) -> list:
    """What in ``response`` differs from the answer ``op`` declares for ``status``."""
    where = f"{op.method} {op.path} {status}"
    if str(response.status_code) != status:
        return [f"{where}: got {response.status_code} {response.get_data(as_text=True)[:200]}"]
    declared = resolve(spec, op.declared["responses"][status])
    problems = [
        f"{where}: no {name} header"
        for name in declared.get("headers", {})
        if name not in response.headers
    ]
    schema = declared["content"]["application/json"]["schema"]
    validator = OAS31Validator({**schema, "components": spec["components"]})
    problems += [f"{where}: {error.message}" for error in validator.iter_errors(response.json)]
    return problems


@pytest.fixture
def callers(app: Flask, factory: Factory) -> Callers:
    admin = factory.user("root@example.com", role="admin")
    spender = factory.user("spender@example.com", role="premium")
    _, spent_key = factory.key(spender)
    other = factory.user("bob@example.com")
    # The user the admin changes: never the owner of a key the test calls with.
    target = factory.user("target@example.com")
    callers = Callers(
        app, factory, admin,
        admin_key=factory.key(admin)[1],
        read_key=factory.key(admin, "read only", access="read")[1],
        restricted_key=factory.key(admin, "nothing", access="restricted")[1],
        elsewhere_key=factory.key(admin, "elsewhere", allowed_networks=["192.0.2.1"])[1],
        standard_key=factory.key(other)[1],
        spent_key=spent_key,
        other_user_id=target.id,
    )  # fmt: skip
    assert app.test_client().get("/api/me", headers={"X-API-Key": spent_key}).status_code == 200
    return callers


def test_every_declared_answer_is_given_as_declared(app, client, callers):
    spec = openapi.document(app)
    problems, given = [], 0
    for op in operations(spec):
        for status in op.declared["responses"]:
            if status == "503":
                continue  # below, from an app whose database is gone
            response = ANSWERS[status](client, op, callers)
            problems += mismatches(spec, op, status, response)
            if status == "400" and op.takes_query():
                assert "limit" in response.json["error"]["message"], op.path  # names the field
            given += 1
    assert problems == []
    assert given >= 12 * 4


def test_every_declared_503_is_given_when_the_database_is_gone():
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": CLOSED_POSTGRES,
            "SECRET_SCANNING_PUBLIC_KEYS": GITHUB.config(),
        }
    )
    try:
        spec, client = openapi.document(app), app.test_client()
        key = generate_key().value
        ids = {"key_id": NOBODYS_KEY_ID, "user_id": 1}
        problems = [
            problem
            for op in operations(spec)
            for problem in mismatches(spec, op, "503", send(client, op, key, ids))
        ]
    finally:
        dispose_engines(app)
    assert problems == []


def test_a_bad_body_is_refused_naming_the_field(client, callers):
    response = client.patch(
        f"/api/admin/users/{callers.other_user_id}",
        headers={"X-API-Key": callers.admin_key},
        json={"role": "wizard"},
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert response.json["error"]["message"].startswith("role: ")


def test_a_method_no_operation_takes_is_the_declared_405(app, client, callers):
    spec = openapi.document(app)
    declared = resolve(spec, {"$ref": "#/components/responses/MethodNotAllowed"})
    schema = declared["content"]["application/json"]["schema"]
    validator = OAS31Validator({**schema, "components": spec["components"]})
    ids = {"key_id": NOBODYS_KEY_ID, "user_id": callers.other_user_id}
    for path in spec["paths"]:
        response = client.delete(path.format(**ids), headers={"X-API-Key": callers.admin_key})
        assert response.status_code == 405, path
        assert set(declared["headers"]) <= set(response.headers.keys()), path
        assert list(validator.iter_errors(response.json)) == [], path
