"""What every answer carries, health checks, and failures that must not become 500s."""

from __future__ import annotations

import pytest

from app import create_app

from support.apps import BASE_CONFIG, dispose_engines
from support.web import INLINE_SCRIPT, INLINE_STYLE

CLOSED_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"


@pytest.mark.parametrize(
    "path", ["/en/login", "/api/me", "/livez", "/nowhere", "/static/css/app.css"]
)
def test_security_headers_on_every_answer(client, path):
    with client.get(path) as response:
        headers = response.headers
    response = type("Answer", (), {"headers": headers})
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http


def test_hsts_over_https(client):
    response = client.get("/en/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_have_no_inline_script_style_or_handlers(client, auth, factory):
    admin = factory.user("root@example.com", role="admin")
    key_id, _ = factory.key(admin)
    pages = [client.get("/en/login"), client.get("/en/signup")]
    auth.login(admin)
    for path in [
        "/en/api-keys",
        "/en/api-keys/create",
        f"/en/api-keys/{key_id}/revoke",
        "/en/admin/users",
    ]:
        pages.append(client.get(path))
    for response in pages:
        path, page = response.request.path, response.text
        assert response.status_code == 200, path
        assert INLINE_SCRIPT.search(page) is None, path
        assert INLINE_STYLE.search(page) is None, path
        assert "vendor/htmx-2.0.11.min.js" in page, path


def test_huge_body_is_413_json_under_api(client, factory):
    _, key = factory.key(factory.user())
    response = client.post(
        "/api/endpoint",
        headers={"X-API-Key": key, "Content-Type": "application/json"},
        data=b"[" + b"1," * 600_000 + b"1]",
    )
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_livez_touches_nothing(client):
    response = client.get("/livez")
    assert response.json == {"status": "ok"}
    assert "X-RateLimit-Limit" not in response.headers


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


@pytest.fixture
def app_without_database():
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": CLOSED_POSTGRES})
    yield app
    dispose_engines(app)


def test_healthz_names_the_database_when_it_is_down(app_without_database):
    response = app_without_database.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["down"] == ["database"]


def test_api_with_the_database_down_is_503_never_a_pass(app_without_database):
    from app.keys.format import generate_key

    client = app_without_database.test_client()
    response = client.get("/api/me", headers={"X-API-Key": generate_key().value})
    assert response.status_code == 503
    assert response.json == {
        "error": {
            "code": "unavailable",
            "message": "The service is temporarily unavailable. Try again shortly.",
        }
    }
    assert int(response.headers["Retry-After"]) > 0


def test_console_with_the_database_down_is_a_friendly_503_page(app_without_database):
    client = app_without_database.test_client()
    response = client.get("/en/login")
    assert response.status_code == 200  # the sign-in page itself needs no database
    page = client.post("/en/login", data={"email": "a@example.com", "password": "x" * 10})
    assert page.status_code == 400  # no CSRF token: refused before the database is asked
    with client.session_transaction() as session:
        session["_user_id"] = "1"
        session["_fresh"] = True
        session["sid"] = "a session token the database would be asked about"
    response = client.get("/en/api-keys")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "Temporarily unavailable" in body
    assert "psycopg" not in body and "Traceback" not in body


def test_an_unexpected_error_is_a_500_without_internals(app, client, factory, caplog):
    @app.get("/api/boom")
    @app.get("/boom")
    def boom():
        raise RuntimeError("internal detail")

    _, key = factory.key(factory.user())
    api = client.get("/api/boom", headers={"X-API-Key": key})
    assert api.status_code == 500
    assert api.json["error"]["code"] == "internal_error"
    page = client.get("/boom")
    assert page.status_code == 500
    for body in (api.get_data(as_text=True), page.get_data(as_text=True)):
        assert "internal detail" not in body and "Traceback" not in body
    assert "internal detail" in caplog.text  # the log has what the client must not see
