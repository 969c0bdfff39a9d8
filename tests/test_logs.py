"""No key in any log the app writes: anything shaped like a key is ``ck_[redacted]``.

Whichever logger writes it (the app's, Flask's, Werkzeug's, a library's), whichever handler
writes it out (pytest's ``caplog`` is one added after the app started), and in a traceback
too. gunicorn's own logs are tested on a real gunicorn in tests/e2e.
"""

from __future__ import annotations

import io
import logging

import pytest

from app.keys.format import checksum, parse_key
from app.logs import redact

# A fixed key, as generate_key() makes them: the parametrised tests' names show it, and
# pytest-xdist needs the same names in every worker.
_BODY = "ck_KeN1rwh3sxDT_eFU7M9ClQfZvr9nC199p1wJufkLMZNJL"
KEY = _BODY + checksum(_BODY)
assert parse_key(KEY) is not None


def test_a_key_logged_by_the_app_flask_or_werkzeug_is_redacted(app, factory, caplog):
    caplog.set_level(logging.INFO)
    _, key = factory.key(factory.user())
    app.logger.warning("refused %s from %s", key, "203.0.113.9")
    logging.getLogger("app.api.key_hook").warning("presented %r", key)
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
