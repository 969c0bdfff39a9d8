"""SQLite under concurrency: reads take no lock, and bcrypt never runs inside a write."""

from __future__ import annotations

import sqlite3
import time

import bcrypt
import pytest
from sqlalchemy import make_url

from support.mail import sign_up
from support.web import csrf_token

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def database_file(database_url: str) -> str:
    return make_url(database_url).database


@pytest.fixture
def writer(database_url):
    """Another process's connection holding SQLite's write lock for the whole test."""
    connection = sqlite3.connect(database_file(database_url), isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    yield connection
    connection.execute("ROLLBACK")
    connection.close()


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_reads_do_not_wait_for_a_writer(client, auth, factory, database_url):
    user = factory.user()
    _, key = factory.key(user)
    auth.login(user)
    client.get("/api/me", headers={"X-API-Key": key})  # last_used_at written before the lock

    lock = sqlite3.connect(database_file(database_url), isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        for path, headers in [
            ("/en/api-keys", {}),
            ("/healthz", {}),
            ("/api/me", {"X-API-Key": key}),
            ("/api/keys", {"X-API-Key": key}),
        ]:
            response, seconds = timed(lambda: client.get(path, headers=headers))  # noqa: B023
            assert response.status_code == 200, (path, response.status_code)
            assert seconds < 2, f"{path} waited {seconds:.1f}s for the write lock"
    finally:
        lock.execute("ROLLBACK")
        lock.close()


@pytest.fixture
def bcrypt_under_write_lock(monkeypatch, database_url):
    """Record every bcrypt call made while some connection holds the write lock."""
    offenders: list[str] = []
    probe = sqlite3.connect(database_file(database_url), isolation_level=None, timeout=0)

    def watching(name):
        real = getattr(bcrypt, name)

        def call(*args):
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
            except sqlite3.OperationalError:
                offenders.append(name)
            return real(*args)

        return call

    monkeypatch.setattr(bcrypt, "hashpw", watching("hashpw"))
    monkeypatch.setattr(bcrypt, "checkpw", watching("checkpw"))
    yield offenders
    probe.close()


def test_bcrypt_never_runs_inside_a_write_transaction(
    client, auth, factory, bcrypt_under_write_lock
):
    assert sign_up(client, "new@example.com", "long enough pw").status_code == 302
    auth.logout()
    auth.login(email="new@example.com", password="not the password")
    auth.login(email="new@example.com", password="long enough pw")
    response = client.post(
        "/en/api-keys",
        data={"name": "Mobile App"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/en/api-keys")},
    )
    assert response.status_code == 200
    key = response.text.split('id="new-key-')[1].split(">")[1].split("<")[0]
    assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 200
    assert bcrypt_under_write_lock == []
