"""Configuration precedence, the generated secret key, and every setting checked at start."""

from __future__ import annotations

import stat

import pytest
from flask import Flask

from app import create_app
from app.config import ConfigError, load_config


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


def test_new_settings_default_as_documented(bare_app):
    load_config(bare_app)
    config = bare_app.config
    assert config["LOG_LEVEL"] == "INFO"
    assert config["LOG_FORMAT"] == "text"
    assert config["SECRET_KEY_FALLBACKS"] == []
    assert config["TRUSTED_HOSTS"] is None


def test_secret_key_fallbacks_and_trusted_hosts_are_json_lists_from_the_environment(
    bare_app, monkeypatch
):
    monkeypatch.setenv("FLASK_SECRET_KEY_FALLBACKS", '["the old secret key"]')
    monkeypatch.setenv("FLASK_TRUSTED_HOSTS", '["keys.example.com", ".example.org"]')
    load_config(bare_app)
    assert bare_app.config["SECRET_KEY_FALLBACKS"] == ["the old secret key"]
    assert bare_app.config["TRUSTED_HOSTS"] == ["keys.example.com", ".example.org"]


def test_bcrypt_rounds_that_is_not_a_number_is_named(bare_app, monkeypatch):
    monkeypatch.setenv("FLASK_BCRYPT_ROUNDS", "abc")
    with pytest.raises(ConfigError) as refused:
        load_config(bare_app)
    assert list(refused.value.problems) == ["BCRYPT_ROUNDS"]
    assert str(refused.value) == "BCRYPT_ROUNDS must be a whole number from 4 to 31, not 'abc'"


def test_every_bad_setting_is_named_at_once(bare_app, monkeypatch):
    monkeypatch.setenv("FLASK_BCRYPT_ROUNDS", "abc")
    monkeypatch.setenv("FLASK_KEY_VERIFIER_SECRET", "too short")
    monkeypatch.setenv("FLASK_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError) as refused:
        load_config(bare_app)
    assert set(refused.value.problems) == {"BCRYPT_ROUNDS", "KEY_VERIFIER_SECRET", "LOG_FORMAT"}
    assert "at least 16 bytes" in refused.value.problems["KEY_VERIFIER_SECRET"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BCRYPT_ROUNDS", 3),
        ("BCRYPT_ROUNDS", True),
        ("MAX_ACTIVE_KEYS_PER_USER", 0),
        ("TRUSTED_PROXY_COUNT", "1"),
        ("SIGNUP_ENABLED", "yes"),
        ("SESSION_COOKIE_SECURE", "on"),
        ("USAGE_FLUSH_SECONDS", 0),
        ("DATABASE_STATEMENT_TIMEOUT", "5s"),
        ("METRICS_ALLOWED_NETWORKS", ["10.0.0.0/33"]),
        ("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32"),
        ("LANGUAGES", []),
        ("SECRET_KEY_FALLBACKS", "old"),
        ("TRUSTED_HOSTS", []),
        ("SQLALCHEMY_DATABASE_URI", "not a url"),
        ("LOG_LEVEL", "loud"),
        ("LOGIN_RATE_LIMIT_PER_EMAIL", "often"),
        ("REQUIRE_TWO_FACTOR", "bogus"),
        ("PASSWORD_CHECKS_PER_PROCESS", "abc"),
        ("RATELIMIT_FALLBACK_DIVISOR", "abc"),
        ("RATELIMIT_KEY_PREFIX", "caméléon"),
        ("RATELIMIT_KEY_PREFIX", ""),
        ("MAIL_PORT", "smtp"),
        ("MAIL_PORT", 70000),
        ("MAIL_USE_TLS", "yes"),
        ("MAIL_TIMEOUT", 0),
        ("MAIL_SEND_ATTEMPTS", 0),
        ("MAIL_RETRY_SECONDS", "2s"),
    ],
)
def test_a_bad_value_is_refused_naming_its_setting(bare_app, name, value):
    with pytest.raises(ConfigError) as refused:
        load_config(bare_app, {name: value})
    assert list(refused.value.problems) == [name]
    assert str(refused.value).startswith(f"{name} ")


def test_the_app_stops_with_one_line_naming_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_BCRYPT_ROUNDS", "abc")
    with pytest.raises(SystemExit) as stopped:
        create_app({"SECRET_KEY": "x"}, instance_path=tmp_path / "instance")
    message = str(stopped.value.code)
    assert message.startswith("Configuration error: BCRYPT_ROUNDS ")
    assert "\n" not in message
