"""No key in any log the app writes: anything shaped like a key is ``ck_[redacted]``.

Whichever logger writes it (the app's, Flask's, Werkzeug's, a library's), whichever handler
writes it out (pytest's ``caplog`` is one added after the app started), and in a traceback
too. gunicorn's own logs are tested on a real gunicorn in tests/e2e.

Every line has its UTC time, level and request id, as text or as one JSON object; every
refusal under /api leaves one line with its reason, the key id and the client address.
"""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from app.keys.format import generate_key
from app.logs import logging_config, redact, request_id

KEY = generate_key().value


def test_a_key_logged_by_the_app_flask_or_werkzeug_is_redacted(app, factory, caplog):
    caplog.set_level(logging.INFO)
    _, key = factory.key(factory.user())
    app.logger.warning("refused %s from %s", key, "203.0.113.9")
    logging.getLogger("app.api.auth").warning("presented %r", key)
    logging.getLogger("werkzeug").info('127.0.0.1 - - "GET /api/me?api_key=%s HTTP/1.1" 200 -', key)
    logging.getLogger("flask_limiter").warning(f"storage error for {key}")

    assert key not in caplog.text and key[16:48] not in caplog.text
    assert caplog.text.count("ck_[redacted]") == 4
    # The rest of each line is left as it was.
    assert "refused ck_[redacted] from 203.0.113.9" in caplog.text
    assert "presented 'ck_[redacted]'" in caplog.text
    assert '"GET /api/me?api_key=ck_[redacted] HTTP/1.1" 200 -' in caplog.text


def test_an_unexpected_error_with_a_key_in_it_is_logged_with_its_traceback_redacted(
    app, client, factory, caplog
):
    _, key = factory.key(factory.user())

    @app.get("/api/boom")
    def boom():
        raise RuntimeError(f"could not use {key}")

    assert client.get("/api/boom", headers={"X-API-Key": key}).status_code == 500
    assert key not in caplog.text and key[16:48] not in caplog.text
    assert "Traceback" in caplog.text
    assert "RuntimeError: could not use ck_[redacted]" in caplog.text


def test_a_handler_added_after_the_app_started_writes_no_key(app):
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    logger = logging.getLogger("tests.a_library")
    logger.addHandler(handler)
    try:
        logger.error("connecting with %s", KEY)
    finally:
        logger.removeHandler(handler)
    assert written.getvalue() == "connecting with ck_[redacted]\n"


def test_arguments_that_do_not_fit_the_message_are_still_written_redacted(app, caplog):
    logging.getLogger("tests.careless").warning("%d keys", KEY)
    assert KEY not in caplog.text
    assert "%d keys ('ck_[redacted]',)" in caplog.text


@pytest.mark.parametrize(
    ("logged", "written"),
    [
        (KEY, "ck_[redacted]"),
        (f"GET /api/me?api_key={KEY}&page=2", "GET /api/me?api_key=ck_[redacted]&page=2"),
        (f"X-API-Key {KEY}", "X-API-Key ck_[redacted]"),
        (f"Bad({KEY}): 1", "Bad(ck_[redacted]): 1"),
        (f"'{KEY[:-1]}x'", "'ck_[redacted]'"),  # a mistyped key is still a key
        (f"/{KEY}/more", "/ck_[redacted]/more"),
        # Percent-encoded, as a raw request line keeps it: any of its characters.
        ("/ck%5F" + KEY[3:], "/ck_[redacted]"),
        ("q=%22" + KEY.replace("_", "%5f") + "%22", "q=%22ck_[redacted]%22"),
        ("".join(f"%{ord(c):02X}" for c in KEY) + "%20x", "ck_[redacted]%20x"),
        # A whole key glued to a word is still redacted...
        (f"GET{KEY} /", "GETck_[redacted] /"),
        # ...but "ck_" inside a word is not a key: tracebacks stay readable.
        ("check_same_thread=False, stack_info=None", "check_same_thread=False, stack_info=None"),
        ("already ck_[redacted]", "already ck_[redacted]"),
    ],
)
def test_what_is_redacted(logged, written):
    assert redact(logged) == written


# --- One configuration for every line: time, level, request id; text or JSON -----------

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")


def written_by(fmt: str, logger_name: str, log) -> str:
    """What the configured handler (its formatter and filters) writes for ``log(logger)``."""
    config = logging_config("INFO", fmt)
    formatter = dict(config["formatters"][fmt])
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(formatter.pop("()")(**formatter))
    for name in config["handlers"]["error"]["filters"]:
        handler.addFilter(config["filters"][name]["()"]())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        log(logger)
    finally:
        logger.removeHandler(handler)
    return written.getvalue()


def test_a_text_line_starts_with_its_utc_time_and_level(app):
    line = written_by("text", "tests.text", lambda log: log.warning("disk %s", "full"))
    assert TIMESTAMP.match(line), line
    assert " WARNING [" in line and line.endswith("] [-] tests.text: disk full\n")


def test_a_json_line_is_one_object_with_time_level_and_request_id(app):
    line = written_by(
        "json",
        "tests.json",
        lambda log: log.error("failed with %s", KEY, extra={"reason": "why"}),
    )
    assert line.count("\n") == 1
    record = json.loads(line)
    assert TIMESTAMP.match(record["time"] + " ")
    assert record["level"] == "ERROR" and record["logger"] == "tests.json"
    assert record["request_id"] == "-" and record["reason"] == "why"
    assert record["message"] == "failed with ck_[redacted]"


def test_a_line_logged_during_a_request_carries_its_request_id(app):
    with app.test_request_context("/api/me"):
        line = written_by("text", "tests.request", lambda log: log.warning("hello"))
        assert f"[{request_id()}] tests.request: hello" in line


@pytest.mark.parametrize(
    ("level", "fmt", "named"),
    [("LOUD", "text", "LOG_LEVEL"), ("INFO", "xml", "LOG_FORMAT")],
)
def test_a_bad_log_setting_is_refused_by_name(level, fmt, named):
    with pytest.raises(ValueError, match=named):
        logging_config(level, fmt)


def test_the_level_applies_to_the_app_and_both_gunicorn_logs():
    config = logging_config("warning", "text")
    assert config["root"]["level"] == "WARNING"
    assert config["loggers"]["gunicorn.error"]["level"] == "WARNING"
    assert config["loggers"]["gunicorn.access"]["level"] == "WARNING"


# --- Every refusal under /api: one line, the reason, the key id, the address -----------


def refusals(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage().startswith("API request")]


def test_each_refusal_is_logged_once_with_reason_key_id_and_address(app, client, factory, caplog):
    caplog.set_level(logging.INFO)
    user = factory.user()
    _, key = factory.key(user)
    revoked_id, revoked = factory.key(user, "Old")
    with app.app_context():
        from app.keys import service

        service.revoke_key(revoked_id, owner_id=None)
    unknown = generate_key()
    cases = [
        ({}, "missing_api_key", "-"),
        ({"X-API-Key": "ck_not_a_key"}, "malformed", "-"),
        ({"X-API-Key": unknown.value}, "unknown", unknown.key_id),
        ({"X-API-Key": revoked}, "revoked", revoked_id),
    ]
    for headers, reason, logged_id in cases:
        caplog.clear()
        response = client.get("/api/me", headers=headers)
        assert response.status_code == 401
        [record] = refusals(caplog)
        assert record.levelno == logging.INFO
        assert (record.reason, record.key_id, record.client_address) == (
            reason,
            logged_id,
            "127.0.0.1",
        )
        assert f"reason={reason} key_id={logged_id} address=127.0.0.1" in record.getMessage()
    assert key not in caplog.text and revoked not in caplog.text
    # An accepted key leaves no refusal line.
    caplog.clear()
    assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 200
    assert refusals(caplog) == []
