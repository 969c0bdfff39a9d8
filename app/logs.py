"""Keys never reach a log: anything shaped like a key is written as ``ck_[redacted]``.

A client may put its key where no key belongs (a query string, a path, a malformed header),
and servers log those places: gunicorn's error log quotes a malformed request line or
header. So the redaction happens in logging itself, on every record:

- ``init_app`` (the app, under any server) and gunicorn's logger (``GunicornLogger``,
  named by ``gunicorn.conf.py``) install a record factory, so each record is redacted as it
  is made, whichever logger made it and whichever handler writes it, handlers added later
  (pytest's ``caplog``) included;
- ``GunicornLogger`` also puts the ``RedactKeys`` filter on the handlers that write
  gunicorn's error and access logs, so nothing reaches them unredacted even if some library
  replaces the record factory.

Only the standard library and gunicorn are imported: ``gunicorn.conf.py`` loads this file
by its path, without importing the app into gunicorn's master process.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from gunicorn import glogging

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

_formatter = logging.Formatter()


# A mailed link's token in a path (a password reset, a sign-up): it opens the account
# for an hour, so the access log keeps only the page it led to.
LINK_TOKEN = re.compile(r"(/(?:password-reset|signup/confirm)/)[^\s/?\"]{8,}")


def redact(text: str) -> str:
    """``text`` with keys as ``ck_[redacted]`` and mailed links' tokens as ``[redacted]``."""
    return LINK_TOKEN.sub(r"\1[redacted]", KEY_SHAPED.sub(REDACTED, text))


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact ``record`` in place: its message with its arguments, its traceback, its stack."""
    try:
        message = record.getMessage()
    except Exception:
        # Arguments that do not fit the format: logging would print both on error; keep them.
        message = f"{record.msg} {record.args!r}"
    record.msg, record.args = redact(message), None
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


REDACT_KEYS = RedactKeys()


def install_record_factory() -> None:
    """Make every log record in this process redacted as it is made (once per process)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_keys", False):
        return

    def make_record(*args, **kwargs) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    make_record.redacts_keys = True
    logging.setLogRecordFactory(make_record)


def init_app(app: Flask) -> None:
    """Redact keys from everything the app, Flask, Werkzeug and the libraries log."""
    install_record_factory()


class QuietClientTimeouts(logging.Filter):
    """One warning line, not an error with a traceback, for a client too slow to send.

    gunicorn.conf.py bounds every read from a client; gunicorn logs the resulting timeout
    as a socket error with its traceback, which a slow-client flood would repeat by the
    thousand.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite gunicorn's "Socket error" record when its cause is a read timeout."""
        # By now the record factory has turned the exception into text (redact_record).
        if (record.exc_text or "").rstrip().endswith("TimeoutError: timed out"):
            record.msg, record.args = "Closed a connection whose client stopped sending.", None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


class GunicornLogger(glogging.Logger):
    """gunicorn's logger, with keys redacted from its error and access logs."""

    def setup(self, cfg) -> None:
        """Set up gunicorn's handlers as usual (also on reload), then filter them."""
        super().setup(cfg)
        self.error_log.addFilter(QuietClientTimeouts())
        install_record_factory()
        # Handler filters see records propagated from child loggers too; a logging
        # configuration (logconfig_dict) may give the root logger handlers of its own.
        for logger in (self.error_log, self.access_log, logging.getLogger()):
            for handler in logger.handlers:
                handler.addFilter(REDACT_KEYS)
