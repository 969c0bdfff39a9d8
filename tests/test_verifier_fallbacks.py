"""Rotating ``KEY_VERIFIER_SECRET``: earlier secrets stay known as fallbacks, so no key pays bcrypt.

A verifier made under a fallback verifies with one HMAC and is rewritten under the current
secret; hosts mid-rollout (one on the old secret, one on the new) both admit every key
without bcrypt. Each test runs on both gates: ``LocalGate`` (in-memory budgets) and, with
Redis, ``RedisGate``, whose script compares the verifiers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.config import ConfigError, load_config
from app.extensions import db
from app.keys.format import checksum, generate_key
from app.keys.hmac_verifier import Verdict, VerifierSecret, derive_secret, secret_id_of
from app.models import ApiKey

from support.apps import BASE_CONFIG, dispose_engines
from support.factory import Factory

OLD = "the verifier secret of last year"
NEW = "the verifier secret of this year"


@pytest.fixture(params=["local gate", pytest.param("redis gate", marks=pytest.mark.redis)])
def storage_uri(request: pytest.FixtureRequest) -> str:
    """Budgets in memory (``LocalGate``), or in Redis (``RedisGate`` and admit.lua)."""
    return "memory://" if request.param == "local gate" else request.getfixturevalue("redis_url")


@pytest.fixture
def config_overrides(storage_uri: str) -> dict:
    """The test's own app makes keys under the old secret."""
    return {"KEY_VERIFIER_SECRET": OLD, "RATELIMIT_STORAGE_URI": storage_uri}


@pytest.fixture
def host(app: Flask):
    """Another host on the same database and storage: ``host(secret, fallbacks)``."""
    made: list[Flask] = []

    def start(secret: str, fallbacks: list[str], **settings) -> Flask:
        other = create_app(
            {
                **BASE_CONFIG,
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "RATELIMIT_STORAGE_URI": app.config["RATELIMIT_STORAGE_URI"],
                "KEY_VERIFIER_SECRET": secret,
                "KEY_VERIFIER_SECRET_FALLBACKS": fallbacks,
                **settings,
            }
        )
        made.append(other)
        return other

    yield start
    for other in made:
        dispose_engines(other)


def me(app: Flask, key: str):
    return app.test_client().get("/api/me", headers={"X-API-Key": key}, buffered=True)


def stored_id(app: Flask, key_id: str) -> str:
    """The id of the secret the key's verifier was made under."""
    with app.app_context():
        verifier = db.session.scalar(select(ApiKey.verifier).where(ApiKey.key_id == key_id))
    return verifier.split(":")[0]


def wrong_secret_for(key_id: str) -> str:
    body = f"ck_{key_id}_{generate_key().value[16:-6]}"
    return body + checksum(body)


def test_a_verifier_under_a_fallback_verifies_without_bcrypt_and_is_rewritten(
    app, factory, host, bcrypt_calls
):
    keys = [factory.key(factory.user()) for _ in range(3)]
    rotated = host(NEW, [OLD])
    for key_id, key in keys:
        assert me(rotated, key).status_code == 200
        assert stored_id(app, key_id) == secret_id_of(NEW.encode())
    # Rewritten: a host that no longer knows the old secret needs no bcrypt either.
    after = host(NEW, [])
    for _, key in keys:
        assert me(after, key).status_code == 200
        assert me(rotated, key).status_code == 200
    assert bcrypt_calls == []


def test_hosts_mid_rollout_admit_a_key_back_and_forth_without_bcrypt(
    app, factory, host, bcrypt_calls
):
    _, key = factory.key(factory.user())
    old_host, new_host = host(OLD, [NEW]), host(NEW, [OLD])
    answers = [me(server, key).status_code for server in [old_host, new_host] * 4]
    assert answers == [200] * 8
    assert bcrypt_calls == []


def test_a_wrong_secret_under_a_fallback_verifier_is_refused_without_bcrypt(
    app, factory, host, bcrypt_calls
):
    key_id, key = factory.key(factory.user())
    rotated = host(NEW, [OLD])
    refused = me(rotated, wrong_secret_for(key_id))
    assert refused.status_code == 401
    assert refused.json["error"]["message"] == "API key not found"
    assert stored_id(app, key_id) == secret_id_of(OLD.encode())  # nothing rewritten
    assert bcrypt_calls == []
    assert me(rotated, key).status_code == 200


def test_an_expired_key_under_a_fallback_learns_it_expired_without_bcrypt(
    app, factory, host, bcrypt_calls
):
    key_id, key = factory.key(factory.user(), expires_in=timedelta(days=1))
    factory.expire(key_id)
    assert me(host(NEW, [OLD]), key).json["error"]["code"] == "expired_api_key"
    assert bcrypt_calls == []


def test_without_the_old_secret_a_key_pays_bcrypt_once(app, factory, host, bcrypt_calls):
    key_id, key = factory.key(factory.user())
    rotated = host(NEW, [])
    assert [me(rotated, key).status_code for _ in range(3)] == [200] * 3
    assert len(bcrypt_calls) == 1
    assert stored_id(app, key_id) == secret_id_of(NEW.encode())


def test_a_derived_verifier_secret_rotates_with_secret_key_and_its_fallbacks(
    database_url, storage_uri, bcrypt_calls
):
    settings = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                "RATELIMIT_STORAGE_URI": storage_uri}  # fmt: skip
    # KEY_VERIFIER_SECRET left unset: derived from SECRET_KEY.
    before = create_app({**settings, "SECRET_KEY": "the session secret of last year"})
    after = create_app(
        {
            **settings,
            "SECRET_KEY": "the session secret of this year",
            "SECRET_KEY_FALLBACKS": ["the session secret of last year"],
        }
    )
    try:
        made = Factory(before)
        _, key = made.key(made.user())
        assert [me(after, key).status_code for _ in range(2)] == [200, 200]
    finally:
        dispose_engines(before)
        dispose_engines(after)
    assert bcrypt_calls == []


def test_the_verdicts_under_fallbacks():
    key, other = generate_key().value, generate_key().value
    old, new = VerifierSecret(OLD), VerifierSecret(NEW, [OLD, OLD, NEW])
    assert [f.secret_id for f in new.fallbacks] == [old.secret_id]  # repeats and itself dropped
    assert new.judge(key, new.make(key)) is Verdict.MATCH
    assert new.judge(key, old.make(key)) is Verdict.RENEW
    assert new.judge(other, old.make(key)) is Verdict.MISMATCH
    assert new.judge(key, VerifierSecret("a secret nobody knows").make(key)) is Verdict.UNKNOWN
    assert new.judge(key, None) is Verdict.UNKNOWN
    assert new.make_under_fallbacks(key) == [old.make(key)]
    assert VerifierSecret(NEW).make_under_fallbacks(key) == []
    assert VerifierSecret(derive_secret("s")).secret_id == secret_id_of(derive_secret("s"))


@pytest.mark.parametrize(
    "value", [["too short"], "the verifier secret of last year", [None], [OLD, 16]]
)
def test_a_bad_fallback_is_refused_naming_the_setting(tmp_path, value):
    bare = Flask("configured", instance_path=str(tmp_path / "instance"))
    with pytest.raises(ConfigError) as refused:
        load_config(bare, {"KEY_VERIFIER_SECRET_FALLBACKS": value})
    assert list(refused.value.problems) == ["KEY_VERIFIER_SECRET_FALLBACKS"]
    assert "last year" not in str(refused.value)  # a secret is never repeated back


def test_fallbacks_come_from_the_environment_as_json(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_KEY_VERIFIER_SECRET", NEW)
    monkeypatch.setenv("FLASK_KEY_VERIFIER_SECRET_FALLBACKS", f'["{OLD}"]')
    bare = Flask("configured", instance_path=str(tmp_path / "instance"))
    load_config(bare)
    assert bare.config["KEY_VERIFIER_SECRET_FALLBACKS"] == [OLD]


def test_a_short_fallback_stops_the_app_with_one_line_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_KEY_VERIFIER_SECRET_FALLBACKS", '["short"]')
    with pytest.raises(SystemExit) as stopped:
        create_app({"SECRET_KEY": "x"}, instance_path=tmp_path / "instance")
    assert str(stopped.value.code) == (
        "Configuration error: KEY_VERIFIER_SECRET_FALLBACKS item 1 must be at least 16 bytes "
        "long, not 5"
    )
