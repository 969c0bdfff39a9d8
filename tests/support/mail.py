"""Mail in tests: what an app sent, links in it, an SMTP server, sign-up by its mailed link.

What an app sent is Flask-Mailman's locmem outbox; the SMTP server is the suite's own
(aiosmtpd), for the messages as a real server receives them.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
from dataclasses import dataclass, field

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from support.web import csrf_token

LINK = re.compile(r"https?://[^\s]+")


@dataclass(frozen=True)
class Sent:
    """A message as its recipient reads it: to, subject, text."""

    to: str
    subject: str
    body: str


def outbox(app: Flask) -> list[Sent]:
    """What ``app`` sent so far (with ``MAIL_BACKEND = "locmem"``)."""
    messages = getattr(app.extensions["mailman"], "outbox", [])
    return [Sent(", ".join(m.to), str(m.subject), str(m.body)) for m in messages]


def clear_outbox(app: Flask) -> None:
    """Forget what ``app`` sent so far."""
    getattr(app.extensions["mailman"], "outbox", []).clear()


def link_in(message: Sent) -> str:
    """The one link in a message, as a path for the test client."""
    (url,) = LINK.findall(message.body)
    return re.sub(r"^https?://[^/]+", "", url)


def to(app: Flask, address: str) -> list[Sent]:
    """What ``app`` sent to ``address``."""
    return [message for message in outbox(app) if message.to == address]


def post(client: FlaskClient, path: str, data: dict, page: str | None = None) -> TestResponse:
    """Post a form with the CSRF token of ``page`` (else ``path``); the answer, closed.

    Closing the answer runs what waits for it to be sent: the mail.
    """
    token = csrf_token(client, page or path)
    response = client.post(path, data={**data, "csrf_token": token})
    response.close()
    return response


def sign_up(client: FlaskClient, address: str, password: str) -> TestResponse:
    """Sign up, then follow the mailed link and give the password again.

    The sign-up's answer when it refused the form, else the confirmation's.
    """
    app = client.application
    clear_outbox(app)
    answer = post(client, "/en/signup", {"email": address, "password": password})
    if answer.status_code != 200:
        return answer
    confirmations = [m for m in outbox(app) if "/signup/confirm/" in m.body]
    assert confirmations, "no confirmation was mailed"
    link = link_in(confirmations[-1])
    return post(client, link, {"password": password})


@dataclass
class SmtpServer:
    """An SMTP server on 127.0.0.1 that keeps every message it is sent."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    controller: object = None

    def start(self) -> None:
        """Listen on a free port."""
        from aiosmtpd.controller import Controller

        server = self

        class Keep:
            async def handle_DATA(self, _server, _session, envelope):
                parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
                server.messages.append(parsed)
                return "250 Message accepted"

        if not self.port:
            with socket.socket() as probe:
                probe.bind((self.host, 0))
                self.port = probe.getsockname()[1]
        self.controller = Controller(Keep(), hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused from now on."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def config(self) -> dict:
        """The settings that send an app's mail here."""
        return {"MAIL_BACKEND": "smtp", "MAIL_SERVER": self.host, "MAIL_PORT": self.port}
