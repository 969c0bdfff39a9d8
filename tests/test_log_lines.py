"""Every log line: its UTC time, level and request id, as text or JSON; every API refusal.

The configuration (``app/logs.py``'s ``logging_config``) is checked here through its
formatters and filters on a handler of the test's own; gunicorn applying it is tested on
a real gunicorn in tests/e2e/test_logs_under_gunicorn.py.
"""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from app.keys.format import generate_key
from app.logs import logging_config, request_id

KEY = generate_key().value


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
