"""Logging for the app and gunicorn alike: one configuration, a request id, no key ever.

- **One configuration** (``logging_config``, for ``logging.config.dictConfig``): the app
  applies it under any server (``init_app``) and gunicorn through ``logconfig_dict`` in
  gunicorn.conf.py. Every line has a UTC ISO 8601 time, a level, the process and the
  request id; ``LOG_LEVEL`` and ``LOG_FORMAT`` (``text``, or ``json``: one object per line,
  by python-json-logger) apply to the app's lines and gunicorn's error and access logs.
- **A request id** (``request_id``): the trusted proxy's ``X-Request-ID``, else a random
  one; the ``RequestId`` filter puts it on every line of its request, and gunicorn.conf.py's logger
  on the access line, read from the answer's ``X-Request-ID`` header.
- **Keys never reach a log**: anything shaped like a key is written as ``ck_[redacted]``.
  A client may put its key where no key belongs (a query string, a path, a malformed
  header), and servers log those places. So a record factory redacts each record as it is
  made, whichever logger made it and whichever handler writes it (pytest's ``caplog``
  too), and the ``RedactKeys`` filter on every configured handler redacts again in case
  some library replaced the record factory.

Only libraries are imported: gunicorn.conf.py loads this file by its path, without
importing the app into gunicorn's master.
"""

from __future__ import annotations

import logging
import logging.config
import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import current_app, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

if TYPE_CHECKING:
    from flask import Flask

REDACTED = "ck_[redacted]"

# A key's characters are [A-Za-z0-9_]; any of them may arrive percent-encoded (ck%5F...),
# and a raw request line in gunicorn's error log keeps them as the client sent them.
_PREFIX = r"(?:c|%63)(?:k|%6[Bb])(?:_|%5[Ff])"
_KEY_CHAR = r"(?:[A-Za-z0-9_]|%(?:3[0-9]|4[1-9A-Fa-f]|5[0-9AaFf]|6[1-9A-Fa-f]|7[0-9Aa]))"
# After "ck_": key id (12), "_", secret (32), checksum (6); as app/keys/format.py says.
_KEY_BODY_LENGTH = 51
KEY_SHAPED = re.compile(
    # "ck_..." that starts a word, or follows a %XX escape: "?api_key=ck_...", "/ck_...".
    # Not inside a word, so a traceback's "check_same_thread" or "stack_info" stays readable.
    rf"(?:(?<![A-Za-z0-9])|(?<=%[0-9A-Fa-f]{{2}})){_PREFIX}{_KEY_CHAR}+"
    # A whole key's length after "ck_" is redacted anywhere, even glued to a word ("GETck_").
    rf"|{_PREFIX}{_KEY_CHAR}{{{_KEY_BODY_LENGTH},}}"
)

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(process)d] [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(process)d %(request_id)s %(message)s"

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is believed only when it looks like one (nginx's $request_id, a UUID): it is
# written into every line of its request, so no spaces, no quotes, no "_" (hence no key).
_PROXY_REQUEST_ID = re.compile(r"[A-Za-z0-9+/=.:-]{1,128}")
# The id of the answer gunicorn is writing the access line for (set by the logger class in
# gunicorn.conf.py, which reads it from the answer's X-Request-ID).
ACCESS_REQUEST_ID: ContextVar[str | None] = ContextVar("access_request_id", default=None)

_formatter = logging.Formatter()


# A mailed link's token in a path (a password reset, a sign-up): it opens the account
# for an hour, so the access log keeps only the page it led to.
LINK_TOKEN = re.compile(r"(/(?:password-reset|signup/confirm)/)[^\s/?\"]{8,}")


# Line breaks a client can put in a path or header (a decoded %0d%0a): written as escapes,
# so no one can start a log line of their choosing.
LINE_BREAKS = str.maketrans(
    {"\r": "\\r", "\n": "\\n", "\x85": "\\x85", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
# Whether there is any to escape: one scan, where ``translate`` looks each character up.
ANY_LINE_BREAK = re.compile("[\r\n\x85\u2028\u2029]")


def redact(text: str) -> str:
    """``text`` with keys as ``ck_[redacted]`` and mailed links' tokens as ``[redacted]``.

    Each expression runs only where it could match (every line is redacted, twice): a key
    needs "ck_" or a percent escape, a link's token its path.
    """
    if "ck_" in text or "%" in text:
        text = KEY_SHAPED.sub(REDACTED, text)
    if "/password-reset/" in text or "/signup/confirm/" in text:
        text = LINK_TOKEN.sub(r"\1[redacted]", text)
    return text


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact ``record`` in place: its message with its arguments, its traceback, its stack."""
    try:
        message = record.getMessage()
    except Exception:
        # Arguments that do not fit the format: logging would print both on error; keep them.
        message = f"{record.msg} {record.args!r}"
    message = redact(message)
    if ANY_LINE_BREAK.search(message):
        message = message.translate(LINE_BREAKS)
    record.msg, record.args = message, None
    if record.exc_info:
        if not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        # Formatters write exc_text; the exception itself would let one write it unredacted.
        record.exc_info = None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactKeys(logging.Filter):
    """A handler filter: every record the handler writes is redacted first."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` and let it through."""
        redact_record(record)
        return True


class _RedactingRecordFactory:
    """A log record factory that redacts what the factory before it makes."""

    # Looked up by name, not by class: gunicorn.conf.py loads a second copy of this module.
    redacts_keys = True

    def __init__(self, previous: Callable[..., logging.LogRecord]) -> None:
        self.previous = previous

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(self.previous(*args, **kwargs))


def install_record_factory() -> None:
    """Make every log record in this process redacted as it is made (once per process)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_keys", False):
        return
    logging.setLogRecordFactory(_RedactingRecordFactory(previous))


def request_id() -> str:
    """The current request's id: the trusted proxy's ``X-Request-ID``, else a random one.

    Made once per request and kept in ``g``, by whoever asks first: the request hook
    (app/http.py) or a line logged before it ran.
    """
    made = g.get("request_id")
    if made is None:
        made = g.request_id = _proxy_request_id() or secrets.token_hex(8)
    return made


def _proxy_request_id() -> str | None:
    if not current_app.config.get("TRUSTED_PROXY_COUNT"):
        return None
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    return sent if _PROXY_REQUEST_ID.fullmatch(sent) else None


class RequestId(logging.Filter):
    """A handler filter: ``record.request_id`` is its request's id, or "-" outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Name the request the record was logged in."""
        if has_request_context():
            record.request_id = request_id()
        else:
            record.request_id = ACCESS_REQUEST_ID.get() or "-"
        return True


def utc_time(created: float) -> str:
    """A record's time as ISO 8601 in UTC, to the millisecond: ``2026-11-30T08:33:56.123Z``."""
    moment = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    return moment.replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """Lines that start with their time in UTC (ISO 8601) and their level."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """The time in UTC, whatever the host's time zone."""
        return utc_time(record.created)


class JsonLineFormatter(JsonFormatter):
    """One JSON object per line, its time in UTC (ISO 8601) first."""

    def add_fields(
        self,
        log_record: dict[str, Any],
        record: logging.LogRecord,
        message_dict: dict[str, Any],
    ) -> None:
        """Put ``time`` first, then python-json-logger's fields."""
        log_record["time"] = utc_time(record.created)
        super().add_fields(log_record, record, message_dict)


def check_level(level: str) -> str:
    """``level`` as logging names it, or ValueError naming ``LOG_LEVEL``."""
    name = str(level).upper()
    if name not in LEVELS:
        raise ValueError(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, not {level!r}")
    return name


def check_format(fmt: str) -> str:
    """``fmt`` if it is a known log format, or ValueError naming ``LOG_FORMAT``."""
    if fmt not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return fmt


def _handler(target: str, stream: str, fmt: str) -> dict[str, Any]:
    # A file is reopened when logrotate moves it (and on gunicorn's USR1).
    where = (
        {"class": "logging.StreamHandler", "stream": stream}
        if target == "-"
        else {"class": "logging.handlers.WatchedFileHandler", "filename": target}
    )
    return {**where, "formatter": fmt, "filters": ["request_id", "redact_keys"]}


def logging_config(
    level: str = "INFO", fmt: str = "text", *, error_log: str = "-", access_log: str = "-"
) -> dict[str, Any]:
    """The ``dictConfig`` for ``LOG_LEVEL`` and ``LOG_FORMAT``.

    The app's lines and gunicorn's error log go to ``error_log``, gunicorn's access log to
    ``access_log``: "-" for stderr and stdout, else a file; an empty ``access_log``
    writes no access log. Raises ValueError naming a bad setting.
    """
    level, fmt = check_level(level), check_format(fmt)
    handlers = {"error": _handler(error_log, "ext://sys.stderr", fmt)}
    if access_log:
        handlers["access"] = _handler(access_log, "ext://sys.stdout", fmt)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": RequestId},
            "redact_keys": {"()": RedactKeys},
        },
        "formatters": {
            "text": {"()": TextFormatter, "fmt": TEXT_FORMAT, "defaults": {"request_id": "-"}},
            "json": {
                "()": JsonLineFormatter,
                "fmt": JSON_FIELDS,
                "rename_fields": {"levelname": "level", "name": "logger"},
            },
        },
        "handlers": handlers,
        "root": {"level": level, "handlers": ["error"]},
        "loggers": {
            "gunicorn.error": {
                "level": level,
                "handlers": ["error"],
                "propagate": False,
            },
            "gunicorn.access": {
                "level": level,
                "handlers": ["access"] if access_log else [],
                "propagate": False,
            },
            # Alembic announces each of its plugins at INFO whenever the app is imported.
            "alembic.runtime.plugins": {"level": "WARNING"},
        },
    }


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Redact keys, and set logging up unless something has already (gunicorn, pytest).

    As ``logging.basicConfig`` does, a root logger with handlers means logging is set up:
    under gunicorn by its ``logconfig_dict``, with the same settings.
    """
    install_record_factory()
    if not logging.getLogger().handlers:
        logging.config.dictConfig(logging_config(level, fmt))


def init_app(app: Flask) -> None:
    """Log as ``LOG_LEVEL`` and ``LOG_FORMAT`` say, with keys redacted from every line."""
    configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
