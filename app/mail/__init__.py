"""Outgoing mail: built from a template in the user's language, sent by a background thread.

- ``compose`` renders ``templates/mail/<name>.txt`` under a locale: its first line is the
  subject, the rest the plain-text body. What goes in is links and names, never a key or
  a password.
- ``send_later`` is called once the change the message tells of has committed. In a
  request, the message is queued for this process's mail thread and the answer goes at
  once: a slow or absent mail server never delays or fails a page, nor holds a gunicorn
  worker past its timeout. Outside one (a ``flask`` command), it is sent at once.
- ``Outbox.deliver`` tries ``MAIL_SEND_ATTEMPTS`` times, waiting ``MAIL_RETRY_SECONDS``
  (doubled each time) between tries, then logs an error naming the message and its
  recipient.
- The mail thread (``courier.py``) is started by the first message a process queues, so
  gunicorn's master never starts one before it forks; at exit a process waits a little
  for what it queued. ``wait_until_sent`` waits until the queue is empty (tests use it).

With no ``MAIL_SERVER``, Flask-Mailman's console backend writes each message (headers and
text) to standard output instead, so a fresh ``make run`` shows them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app, g, has_request_context, render_template
from flask_mailman import EmailMessage

from app.extensions import mail
from app.i18n.catalog import in_locale
from app.i18n.zones import times_in_utc
from app.mail.courier import courier

if TYPE_CHECKING:
    from app.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """A message ready to go: which one it is (for the log), to whom, its subject and text."""

    name: str
    to: str
    subject: str
    body: str


def init_app(app: Flask) -> None:
    """Bind Flask-Mailman: SMTP when ``MAIL_SERVER`` is set, else standard output."""
    if not app.config.get("MAIL_BACKEND"):
        app.config["MAIL_BACKEND"] = "smtp" if app.config["MAIL_SERVER"] else "console"
    mail.init_app(app)
    app.extensions["mail_outbox"] = Outbox(app)


def compose(name: str, to: str, locale: str | None, **context: object) -> Message:
    """Render ``templates/mail/<name>.txt`` in ``locale`` (else the page's, else the first)."""
    languages = current_app.config["LANGUAGES"]
    if locale not in languages:  # never chosen yet: the page's language, else the first
        locale = g.get("lang_code") if has_request_context() else None
        locale = locale if locale in languages else languages[0]
    with in_locale(locale), times_in_utc():
        text = render_template(f"mail/{name}.txt", **context)
    subject, _, body = text.strip().partition("\n")
    return Message(name, to, subject.strip(), body.strip() + "\n")


def send_later(message: Message) -> None:
    """Queue ``message`` for the mail thread (outside a request: send it now)."""
    outbox: Outbox = current_app.extensions["mail_outbox"]
    if has_request_context():
        courier.send(f"{message.name!r} to {message.to}", lambda: outbox.deliver(message))
    else:
        outbox.deliver(message)


def send_now(message: Message) -> bool:
    """Send ``message`` from this thread, retrying; whether it went (for a ``flask`` command)."""
    outbox: Outbox = current_app.extensions["mail_outbox"]
    return outbox.deliver(message)


def wait_until_sent(timeout: float | None = None) -> bool:
    """Wait until every message this process queued was delivered or given up on.

    Whether the queue is empty (False when ``timeout`` seconds passed first).
    """
    return courier.wait_until_idle(timeout)


class Outbox:
    """Delivers messages for one app, retrying a server that is down or refuses."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def deliver(self, message: Message) -> bool:
        """Send ``message``, retrying; whether it went. A failure is logged, never raised."""
        config = self.app.config
        attempts = max(1, int(config["MAIL_SEND_ATTEMPTS"]))
        wait = float(config["MAIL_RETRY_SECONDS"])
        for attempt in range(1, attempts + 1):
            try:
                with self.app.app_context():
                    EmailMessage(message.subject, message.body, to=[message.to]).send()
            except Exception as error:  # smtplib's errors, OSError, a bad address...
                if attempt == attempts:
                    log.error(
                        "Mail %r to %s failed after %d attempts: %s",
                        message.name,
                        message.to,
                        attempts,
                        _reason(error),
                    )
                    return False
                log.warning(
                    "Mail %r to %s failed (attempt %d of %d), retrying: %s",
                    message.name,
                    message.to,
                    attempt,
                    attempts,
                    _reason(error),
                )
                time.sleep(wait * 2 ** (attempt - 1))
            else:
                log.info("Mail %r sent to %s", message.name, message.to)
                return True
        return False


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def to_user(user: User, name: str, **context: object) -> Message:
    """The message ``name`` for ``user``, in their last console locale."""
    return compose(name, user.email, user.locale, email=user.email, **context)


def tell(user: User, name: str, **context: object) -> None:
    """Mail ``user`` the message ``name`` in their last console locale (``send_later``)."""
    send_later(to_user(user, name, **context))
