"""Verification cost and safety: cheap checks first, bcrypt once per key per fleet."""

from __future__ import annotations

import logging
import sqlite3
import string
import time
from datetime import UTC, datetime

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, event, update

from app import create_app
from app.extensions import db
from app.keys.format import checksum, generate_key
from app.keys.hmac_verifier import Verdict
from app.keys.unknown import UNKNOWN_FOR_SECONDS
from app.models import ApiKey, User

from support.apps import BASE_CONFIG, dispose_engines


@pytest.fixture
def database_queries(app, monkeypatch):
    """Every SQL statement the app's connections run, the key lookup's own reads included.

    Installed on each new DBAPI connection, so it must be requested before the first one:
    SQLite reports statements through its trace callback, psycopg through a cursor class.
    """
    statements: list[str] = []

    class CountingCursor(psycopg.Cursor):
        def execute(self, query, params=None, **kwargs):
            statements.append(str(query))
            return super().execute(query, params, **kwargs)

    def on_connect(dbapi_connection, _record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(statements.append)
        else:
            dbapi_connection.cursor_factory = CountingCursor

    with app.app_context():
        engines = [*db.engines.values(), app.extensions["api_gate"].verifier.lookup.engine]
    for engine in engines:
        event.listen(engine, "connect", on_connect)
    return statements


@pytest.fixture
def key(factory):
    user = factory.user()
    return factory.key(user)[1]


@pytest.fixture
def factory_key(factory):
    return factory.key(factory.user())


def second_app(database_url, **settings):
    """Another process's app on the same database (a second worker or host)."""
    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **settings})


def stored_verifier(app, key_id):
    with app.app_context():
        return db.session.scalar(db.select(ApiKey.verifier).where(ApiKey.key_id == key_id))


def me(client, presented):
    # buffered: the whole answer is read and closed, as a server does before work that
    # waits for the answer to be sent (recording a key's use).
    return client.get("/api/me", headers={"X-API-Key": presented}, buffered=True)


@pytest.mark.parametrize(
    "presented",
    [
        "ck_",
        "garbage",
        "ck_" + "A" * 51,  # the right length, a wrong checksum
        "x" * 10_000,
        "ck_AAAAAAAAAAAA_" + "B" * 32 + "\x00" * 6,
    ],
)
def test_malformed_or_bad_checksum_never_queries_the_database_or_bcrypt(
    client, key, bcrypt_calls, database_queries, presented
):
    response = me(client, presented)
    assert response.status_code == 401
    assert bcrypt_calls == []
    assert database_queries == []


def test_a_mistyped_real_key_never_reaches_the_database(
    client, key, bcrypt_calls, database_queries
):
    typo = key[:20] + ("A" if key[20] != "A" else "B") + key[21:]
    assert me(client, typo).status_code == 401
    assert bcrypt_calls == []
    assert database_queries == []


def test_a_new_key_needs_no_bcrypt_even_on_its_first_request(client, key, bcrypt_calls):
    for _ in range(3):
        assert me(client, key).status_code == 200
    assert bcrypt_calls == []  # its verifier was written when it was made


def test_a_key_verified_by_one_process_is_accepted_by_another_without_bcrypt(
    app, database_url, factory, bcrypt_calls
):
    _, key = factory.key(factory.user())
    assert me(app.test_client(), key).status_code == 200
    other = second_app(database_url)  # another worker, another host: same database
    try:
        for _ in range(3):
            assert me(other.test_client(), key).status_code == 200
    finally:
        dispose_engines(other)
    assert bcrypt_calls == []


def test_a_key_without_a_verifier_pays_bcrypt_once_for_the_whole_fleet(
    app, database_url, factory, bcrypt_calls
):
    key_id, key = factory.key(factory.user())
    factory.drop_verifier(key_id)  # as a key made before verifiers existed
    assert me(app.test_client(), key).status_code == 200
    assert len(bcrypt_calls) == 1
    other = second_app(database_url)
    try:
        assert me(other.test_client(), key).status_code == 200
        assert me(app.test_client(), key).status_code == 200
    finally:
        dispose_engines(other)
    assert len(bcrypt_calls) == 1


def test_a_new_verifier_secret_costs_each_key_one_bcrypt_check(
    app, database_url, factory, bcrypt_calls
):
    _, key = factory.key(factory.user())
    rotated = second_app(database_url, KEY_VERIFIER_SECRET="a new verifier secret, rotated")
    try:
        client = rotated.test_client()
        for _ in range(3):
            assert me(client, key).status_code == 200
    finally:
        dispose_engines(rotated)
    assert len(bcrypt_calls) == 1


def test_a_wrong_secret_for_a_real_key_id_is_refused_without_bcrypt(client, factory, bcrypt_calls):
    user = factory.user()
    key_id, key = factory.key(user)
    for _ in range(5):
        body = f"ck_{key_id}_{generate_key().value[16:-6]}"
        assert me(client, body + checksum(body)).json["error"]["message"] == "API key not found"
    assert bcrypt_calls == []
    assert me(client, key).status_code == 200


def test_a_wrong_secret_for_a_key_without_a_verifier_runs_bcrypt_and_fails(
    client, factory, bcrypt_calls
):
    key_id, key = factory.key(factory.user())
    factory.drop_verifier(key_id)
    body = f"ck_{key_id}_{generate_key().value[16:-6]}"
    assert me(client, body + checksum(body)).status_code == 401
    assert len(bcrypt_calls) == 1
    assert me(client, key).status_code == 200  # and the genuine key still gets its verifier
    assert me(client, key).status_code == 200
    assert len(bcrypt_calls) == 2


SECRETS = st.text(alphabet=string.ascii_letters + string.digits, min_size=32, max_size=32)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(secret=SECRETS)
def test_no_other_secret_passes_the_verifier(app, factory_key, secret):
    key_id, key = factory_key
    body = f"ck_{key_id}_{secret}"
    forged = body + checksum(body)
    verdict = app.extensions["verifier_secret"].judge(forged, stored_verifier(app, key_id))
    assert verdict is (Verdict.MATCH if forged == key else Verdict.MISMATCH)


def test_every_request_reads_the_key_row_once(client, key, database_queries):
    me(client, key)
    before = len(database_queries)
    me(client, key)
    new = [query for query in database_queries[before:] if not query.startswith("UPDATE")]
    assert len(new) == 1, new  # one read per request: revocations are never stale
    assert "FROM api_keys JOIN users" in new[0]


def test_a_change_committed_by_another_process_applies_to_the_very_next_request(
    app, client, factory
):
    user = factory.user()
    key_id, key = factory.key(user)
    assert me(client, key).json["role"] == "standard"
    # Another process (a flask command, another worker) commits through its own connection.
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with other.begin() as connection:
            connection.execute(update(User).where(User.id == user.id).values(role="premium"))
        assert me(client, key).json["role"] == "premium"
        with other.begin() as connection:
            revoked = update(ApiKey).where(ApiKey.key_id == key_id)
            connection.execute(revoked.values(revoked_at=datetime.now(UTC)))
        assert me(client, key).status_code == 401
    finally:
        other.dispose()


def test_a_verifier_this_thread_writes_is_what_it_reads_next(app, factory):
    key_id, _ = factory.key(factory.user())
    lookup = app.extensions["api_gate"].verifier.lookup
    record = lookup.find(key_id)
    assert lookup.find(key_id) == record
    fresh = app.extensions["verifier_secret"].make("ck_some_other_key")
    lookup.set_verifier(record.key_pk, fresh)
    assert lookup.find(key_id).verifier == fresh


def test_the_verifier_never_appears_in_answers_pages_or_logs(app, client, auth, factory, caplog):
    caplog.set_level(logging.DEBUG)
    admin = factory.user("root@example.com", role="admin")
    key_id, key = factory.key(admin)
    verifier = stored_verifier(app, key_id)
    digest = verifier.split(":")[1]
    seen = [
        me(client, key).get_data(as_text=True),
        client.get("/api/keys", headers={"X-API-Key": key}).get_data(as_text=True),
        client.get("/api/admin/keys", headers={"X-API-Key": key}).get_data(as_text=True),
    ]
    auth.login(admin)
    seen.append(client.get("/en/api-keys").get_data(as_text=True))
    seen.append(caplog.text)
    for text in seen:
        assert digest not in text and verifier not in text


def test_last_used_is_written_at_most_once_a_minute(app, client, factory):
    user = factory.user()
    _, secret = factory.key(user)
    touches = app.extensions["api_gate"].touches
    now = [1000.0]
    touches.clock = lambda: now[0]
    updates = []
    event.listen(
        app.extensions["api_gate"].verifier.lookup.engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *rest: (
            updates.append(statement) if statement.startswith("UPDATE") else None
        ),
    )
    for _ in range(10):
        assert me(client, secret).status_code == 200
    assert len(updates) == 1
    now[0] += 61
    assert me(client, secret).status_code == 200
    assert len(updates) == 2
    listed = client.get("/api/keys", headers={"X-API-Key": secret}).json["keys"]
    assert listed[0]["last_used_at"] is not None


HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=1, max_codepoint=255, blacklist_characters="\r\n"),
    max_size=200,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.one_of(
        HEADER_TEXT,
        st.builds(lambda s: "ck_" + s, HEADER_TEXT),
        st.text(alphabet=string.ascii_letters + string.digits + "_", min_size=54, max_size=54),
    )
)
def test_any_made_up_header_value_gets_a_json_401(client, key, value):
    # No made-up value names a real key, so none costs the address its failed-key budget.
    response = me(client, value)
    assert response.status_code == 401
    expected = "missing_api_key" if value == "" else "invalid_api_key"
    assert response.json["error"]["code"] == expected


def test_the_full_key_never_appears_in_logs(app, client, runner, factory, caplog):
    caplog.set_level(logging.DEBUG)
    factory.user("ada@example.com")
    created = runner.invoke(args=["keys", "create", "ada@example.com", "--name", "Logged?"])
    key = created.stdout.splitlines()[-1]
    me(client, key)
    me(client, key[:-1] + ("A" if key[-1] != "A" else "B"))
    client.post("/api/endpoint", headers={"X-API-Key": key}, data="{not json")
    client.get(f"/api/me?api_key={key}")
    key_id = key[3:15]
    client.post(f"/api/keys/{key_id}/revoke", headers={"X-API-Key": key})
    me(client, key)  # revoked
    assert caplog.records, "expected some log records to search"
    assert key not in caplog.text
    assert key[16:-6] not in caplog.text  # not even the secret part alone


def test_limiter_storage_holds_ids_and_addresses_never_secrets(app, client, factory):
    key_id, key = factory.key(factory.user())
    body = f"ck_{key_id}_{generate_key().value[16:-6]}"
    for presented in (key, body + checksum(body), "garbage"):
        me(client, presented)
    from app.extensions import limiter

    windows = app.extensions["limit_counter"].windows
    storage = limiter.storage  # Flask-Limiter's own, for any route limit
    stored = " ".join(
        [*(" ".join(names) for names in windows.identifiers()), *storage.events, *storage.storage]
    )
    assert "user:" in stored and "failed-key" in stored
    assert key[16:-6] not in stored and body[16:] not in stored


def test_an_unknown_key_id_costs_one_database_read_not_one_a_request(client, database_queries):
    stranger = generate_key().value  # right checksum, no such key id
    assert me(client, stranger).status_code == 401
    reads = len(database_queries)
    assert reads >= 1
    for _ in range(5):
        assert me(client, stranger).status_code == 401
    assert len(database_queries) == reads


def test_a_new_key_is_not_mistaken_for_an_unknown_one(client, factory, database_queries):
    me(client, generate_key().value)  # some unknown key id is remembered
    _, key = factory.key(factory.user())
    assert me(client, key).status_code == 200


def test_a_restored_row_works_again_within_a_minute(app, client, factory):
    key_id, key = factory.key(factory.user())
    backup = factory.delete_row(key_id)
    assert me(client, key).status_code == 401  # its id is now remembered as unknown
    factory.restore_row(backup)
    assert me(client, key).status_code == 401  # still remembered...
    unknown = app.extensions["api_gate"].verifier.unknown
    later = time.monotonic() + UNKNOWN_FOR_SECONDS + 1
    unknown.clock = lambda: later
    assert me(client, key).status_code == 200  # ...for a minute, not for good
