"""Configuration precedence and the generated secret key."""

from __future__ import annotations

import stat

import pytest
from flask import Flask

from app import create_app
from app.config import load_config


@pytest.fixture
def bare_app(tmp_path) -> Flask:
    """A Flask app whose instance folder is the test's own, for load_config alone."""
    return Flask("configured", instance_path=str(tmp_path / "instance"))


def test_the_defaults(bare_app):
    load_config(bare_app)
    config = bare_app.config
    assert config["ROLE_RATE_LIMITS"] == {
        "standard": "100 per minute",
        "premium": "500 per minute",
        "admin": "1000 per minute",
    }
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["BCRYPT_ROUNDS"] == 12
    assert config["SIGNUP_ENABLED"] is True
    assert config["MAX_ACTIVE_KEYS_PER_USER"] == 100
    assert config["TRUSTED_PROXY_COUNT"] == 0
    assert config["FAILED_KEY_RATE_LIMIT"] == "30 per minute"
    assert config["LOGIN_RATE_LIMIT_PER_ADDRESS"] == "20 per minute"
    assert config["LOGIN_RATE_LIMIT_PER_EMAIL"] == "5 per minute"
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert config["SQLALCHEMY_DATABASE_URI"].endswith("instance/chameleon.sqlite3")


def test_flask_env_overrides_defaults_and_json_is_parsed(bare_app, monkeypatch):
    monkeypatch.setenv("FLASK_BCRYPT_ROUNDS", "10")
    monkeypatch.setenv("FLASK_SIGNUP_ENABLED", "false")
    monkeypatch.setenv(
        "FLASK_ROLE_RATE_LIMITS",
        '{"standard": "5 per minute", "premium": "50 per minute", "admin": "500 per minute"}',
    )
    load_config(bare_app)
    assert bare_app.config["BCRYPT_ROUNDS"] == 10
    assert bare_app.config["SIGNUP_ENABLED"] is False
    assert bare_app.config["ROLE_RATE_LIMITS"]["standard"] == "5 per minute"


def test_database_url_is_an_alias(bare_app, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/from-database-url.sqlite3")
    load_config(bare_app)
    assert bare_app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////tmp/from-database-url.sqlite3"


def test_flask_database_uri_wins_over_database_url(bare_app, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/alias.sqlite3")
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", "sqlite:////tmp/explicit.sqlite3")
    load_config(bare_app)
    assert bare_app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////tmp/explicit.sqlite3"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_plain_postgres_urls_mean_psycopg_3(bare_app, monkeypatch, scheme):
    monkeypatch.setenv("DATABASE_URL", f"{scheme}://app@db.internal/chameleon")
    load_config(bare_app)
    uri = bare_app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri == "postgresql+psycopg://app@db.internal/chameleon"


def test_test_config_wins_over_environment(bare_app, monkeypatch):
    monkeypatch.setenv("FLASK_BCRYPT_ROUNDS", "10")
    load_config(bare_app, {"BCRYPT_ROUNDS": 5})
    assert bare_app.config["BCRYPT_ROUNDS"] == 5


def test_generated_secret_is_kept_across_restarts(tmp_path, caplog):
    first = Flask("one", instance_path=str(tmp_path / "instance"))
    load_config(first)
    secret = first.config["SECRET_KEY"]
    assert len(secret) >= 64
    assert "FLASK_SECRET_KEY" in caplog.text  # the warning says how to share one
    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    caplog.clear()
    second = Flask("two", instance_path=str(tmp_path / "instance"))
    load_config(second)
    assert second.config["SECRET_KEY"] == secret
    assert "generated" not in caplog.text


def test_configured_secret_key_is_used_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "from the environment")
    app = Flask("configured", instance_path=str(tmp_path / "instance"))
    load_config(app)
    assert app.config["SECRET_KEY"] == "from the environment"
    assert not (tmp_path / "instance" / "secret_key").exists()


@pytest.mark.parametrize(
    "override",
    [
        {"ROLE_RATE_LIMITS": {"standard": "100 per minute"}},
        {"ROLE_RATE_LIMITS": {"standard": "lots", "premium": "1/s", "admin": "1/s"}},
        {"FAILED_KEY_RATE_LIMIT": "sometimes"},
    ],
)
def test_a_bad_rate_limit_fails_at_start_with_its_name(bare_app, override):
    with pytest.raises(ValueError, match="RATE_LIMIT"):
        load_config(bare_app, override)


def test_debugger_is_off_unless_asked_for(database_url, monkeypatch):
    config = {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url}
    assert create_app(config).debug is False
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert create_app(config).debug
