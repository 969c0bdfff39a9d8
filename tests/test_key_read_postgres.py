"""The key read on PostgreSQL, run by libpq, under psycopg connection settings.

Decoded in the client's encoding, and with or without a prepared statement (psycopg's
``prepare_threshold=None``, as behind PgBouncer in transaction mode).
"""

from __future__ import annotations

import pytest

from support.databases import empty_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """PostgreSQL only: these settings are psycopg's."""
    empty_postgres(postgres_url)
    return postgres_url


@pytest.fixture(
    params=[{"client_encoding": "LATIN1"}, {"prepare_threshold": None}],
    ids=["latin1-client", "nothing-prepared"],
)
def config_overrides(request: pytest.FixtureRequest) -> dict:
    """The app's connections made with one of these psycopg connection settings."""
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": request.param}}


def test_a_key_with_a_non_ascii_name_authenticates_and_reads_back(client, factory):
    _, key = factory.key(factory.user(), name="Clé de café")
    for _ in range(3):  # the first request runs bcrypt; the others only the read
        response = client.post("/api/endpoint", headers={"X-API-Key": key}, json={"a": 1})
        assert response.status_code == 200, response.json
        assert response.json["key"]["name"] == "Clé de café"


def test_a_revoked_key_is_refused_on_the_next_request(client, factory):
    key_id, key = factory.key(factory.user())
    assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 200
    assert client.post(f"/api/keys/{key_id}/revoke", headers={"X-API-Key": key}).status_code == 200
    refused = client.get("/api/me", headers={"X-API-Key": key})
    assert refused.status_code == 401
    assert refused.json["error"]["message"] == "API key not found"
