"""Verification cost and safety: cheap checks first, bcrypt once per key per process."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import string

import bcrypt
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from app.extensions import db
from app.keys import verify
from app.keys.caches import VerifiedKeyCache
from app.keys.format import checksum, generate_key
from app.keys.reads import LibpqRead


@pytest.fixture
def bcrypt_calls(monkeypatch):
    """Count calls to bcrypt.checkpw (the real one still runs)."""
    calls = []
    real = bcrypt.checkpw

    def counting(password, hashed):
        calls.append(password)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    return calls


@pytest.fixture
def database_queries(app, monkeypatch):
    """Every SQL statement the app's connections run, the key lookup's own reads included.

    Installed on each new DBAPI connection, so it must be requested before the first one:
    SQLite reports statements through its trace callback, psycopg through a cursor class,
    and the key read on psycopg, which runs a prepared statement through libpq without a
    cursor, through its reader.
    """
    statements: list[str] = []
    libpq_run = LibpqRead.run

    def counting_run(reader, handle, key_id):
        statements.append(reader._sql.decode())
        return libpq_run(reader, handle, key_id)

    monkeypatch.setattr(LibpqRead, "run", counting_run)

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
        engines = [*db.engines.values(), app.extensions["key_verifier"].lookup.engine]
    for engine in engines:
        event.listen(engine, "connect", on_connect)
    return statements


@pytest.fixture
def key(factory):
    user = factory.user()
    return factory.key(user)[1]


def me(client, presented):
    return client.get("/api/me", headers={"X-API-Key": presented})


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


def test_a_verified_key_skips_the_checks_it_passed_but_its_typos_do_not(
    client, key, database_queries, monkeypatch
):
    parsed = []
    real_parse = verify.parse_key
    monkeypatch.setattr(verify, "parse_key", lambda text: parsed.append(text) or real_parse(text))
    assert me(client, key).status_code == 200
    assert me(client, key).status_code == 200
    assert parsed == [key]  # parsed when new to the process only

    reads = len(database_queries)
    typo = key[:20] + ("A" if key[20] != "A" else "B") + key[21:]
    assert me(client, typo).status_code == 401
    assert parsed == [key, typo]
    assert len(database_queries) == reads  # its checksum stopped it before any read


def test_second_request_with_the_same_key_does_not_call_bcrypt(client, key, bcrypt_calls):
    assert me(client, key).status_code == 200
    assert len(bcrypt_calls) == 1
    for _ in range(5):
        assert me(client, key).status_code == 200
    assert len(bcrypt_calls) == 1


def test_every_request_reads_the_key_row_once(client, key, database_queries):
    me(client, key)
    before = len(database_queries)
    me(client, key)
    new = database_queries[before:]
    assert len(new) == 1, new  # one read per request: revocations are never stale
    assert "FROM api_keys JOIN users" in new[0]


def test_a_wrong_secret_for_a_verified_key_id_still_runs_bcrypt_and_fails(
    client, factory, bcrypt_calls
):
    user = factory.user()
    key_id, secret = factory.key(user)
    assert me(client, secret).status_code == 200
    body = f"ck_{key_id}_{generate_key().value[16:-6]}"
    assert me(client, body + checksum(body)).status_code == 401
    assert len(bcrypt_calls) == 2


def test_cache_is_bounded_and_never_holds_the_key():
    cache = VerifiedKeyCache(max_entries=2)
    keys = [generate_key().value for _ in range(3)]
    for number, key in enumerate(keys):
        cache.put(cache.digest(key), f"hash{number}", number, "standard", touched_at=0.0)
    assert len(cache) == 2
    assert cache.get(cache.digest(keys[0])) is None  # the least recently used went first
    assert cache.get(cache.digest(keys[2])).key_hash == "hash2"
    # Cache keys are HMACs under a per-process secret: not the key, not a plain hash of it.
    held = repr(vars(cache))
    for key in keys:
        assert key not in held and key[16:-6] not in held
        assert cache.digest(key) != hashlib.sha256(key.encode()).digest()
    assert VerifiedKeyCache().digest(keys[0]) != cache.digest(keys[0])


def test_last_used_is_written_at_most_once_a_minute(app, client, factory):
    user = factory.user()
    _, secret = factory.key(user)
    verifier = app.extensions["key_verifier"]
    now = [1000.0]
    verifier.clock = lambda: now[0]
    updates = []
    event.listen(
        verifier.lookup.engine,
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
def test_any_header_value_gets_200_401_or_429(client, key, value):
    response = me(client, value)
    assert response.status_code in (200, 401, 429)
    assert response.is_json


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


def test_limiter_storage_holds_user_ids_and_addresses_never_keys(app, client, factory):
    from app.extensions import limiter

    _, key = factory.key(factory.user())
    for presented in (key, key[:-1] + ("A" if key[-1] != "A" else "B"), "garbage"):
        me(client, presented)
    storage = limiter.storage
    stored = " ".join([*storage.events, *storage.storage])
    assert "user:" in stored and "failed-key" in stored
    assert key[3:15] not in stored and key[16:-6] not in stored


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
