"""The API answers as its OpenAPI document says: schemathesis against a real gunicorn.

For each role, a gunicorn on a database of its own with a user of every role, and
schemathesis over /openapi.json with that role's key, every operation, every phase. It
fails on a 5xx, a status the operation does not list, an undeclared content type, a body
that does not match its schema, a declared header missing, or input the document calls
invalid that is not refused. The last tests show it has teeth: the real app with one view
answering something undocumented, or taking what it should refuse, fails the same run.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from e2e_support import SQLITE_ONLY, TIMEOUT, UNLIMITED_ENV, key_header, server_log_errors
from flask import Flask, jsonify
from schemathesis_run import run_schemathesis
from werkzeug.serving import make_server

from app.errors import ApiError
from app.openapi.page import METHODS

ROLES = ("standard", "premium", "admin")

# The document is the same whatever the database; SQL is tested on both elsewhere.
pytestmark = SQLITE_ONLY


def people_of_every_role(factory) -> dict:
    """A user of each role, each with a key: role -> (user, (key id, key))."""
    people = {}
    for role in ROLES:
        user = factory.user(f"{role}@example.com", role=role)
        people[role] = (user, factory.key(user))
    return people


@pytest.mark.gunicorn
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_the_document_says(
    database_url, gunicorn, factory, tmp_path, role
):
    people = people_of_every_role(factory)
    user, (key_id, key) = people[role]
    spare_id, _ = factory.key(user, "spare")
    server = gunicorn(database_url, env=UNLIMITED_ENV)

    run = run_schemathesis(
        server.url, key, protected_key_id=key_id, spare_key_id=spare_id, work_dir=tmp_path
    )

    assert run.returncode == 0, run.stdout + run.stderr
    tested = re.search(r"Operations:\s+(\d+) selected / (\d+) total", run.stdout)
    assert tested is not None, run.stdout
    described = operation_count(server.url)
    assert described >= 12
    assert tested.groups() == (str(described),) * 2, "schemathesis left operations out"
    # The caller's key lived to the end, so no answer was a 401 for want of it.
    me = requests.get(f"{server.url}/api/me", headers=key_header(key), timeout=TIMEOUT)
    assert me.status_code == 200
    assert server_log_errors(server.log()) == []


def operation_count(url: str) -> int:
    """How many operations the server's /openapi.json describes."""
    paths = requests.get(f"{url}/openapi.json", timeout=TIMEOUT).json()["paths"]
    return sum(method in item for item in paths.values() for method in METHODS)


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` over real HTTP on a free port (Werkzeug's server, in a thread)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def conflict():
    """GET /api/me answering a status the document does not list for it."""
    raise ApiError(409, "conflict", "Something changed meanwhile.")


def me_with_a_string_id():
    """GET /api/me answering a body whose id is not the documented integer."""
    return jsonify(id="42", email="ada@example.com", role="standard", rate_limit="100 per minute")


def me_with_an_extra_field():
    """GET /api/me answering a field the document does not describe."""
    return jsonify(
        id=1, email="a@example.com", role="standard", rate_limit="1 per minute", password_hash="x"
    )


def keys_taking_any_query():
    """GET /api/keys answering 200 whatever its query string, ``?limit=0`` included."""
    return jsonify(keys=[], next_cursor=None)


@pytest.mark.parametrize(
    ("endpoint", "view", "failure", "detail"),
    [
        ("api.get_me", conflict, "ST103 Undocumented status code", "Received: 409"),
        (
            "api.get_me",
            me_with_a_string_id,
            "ST108 Response violates schema",
            '"42" is not of type "integer"',
        ),
        (
            "api.get_me",
            me_with_an_extra_field,
            "ST108 Response violates schema",
            "'password_hash' was unexpected",
        ),
        (
            "api.list_keys",
            keys_taking_any_query,
            "ST201 Schema-violating request accepted",
            "Invalid data should have been rejected",
        ),
    ],
    ids=["undocumented-status", "wrong-type", "undocumented-field", "invalid-input-taken"],
)
def test_a_view_answering_something_undocumented_fails_the_run(
    app, factory, tmp_path, endpoint, view, failure, detail
):
    user = factory.user()
    key_id, key = factory.key(user)
    spare_id, _ = factory.key(user, "spare")
    app.view_functions[endpoint] = view
    path = next(app.url_map.iter_rules(endpoint)).rule

    with serving(app) as url:
        run = run_schemathesis(
            url,
            key,
            protected_key_id=key_id,
            spare_key_id=spare_id,
            work_dir=tmp_path,
            options=("--include-path", path),
        )

    assert run.returncode == 1, run.stdout + run.stderr
    assert failure in run.stdout and detail in run.stdout, run.stdout
