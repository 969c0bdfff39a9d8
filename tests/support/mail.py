"""Mail in tests: what an app sent, links in it, an SMTP server, sign-up by its mailed link.

What an app sent is Flask-Mailman's locmem outbox; the SMTP server is the suite's own
(aiosmtpd), for the messages as a real server receives them. A request's mail goes from a
background thread, so what reads it first waits for that thread (``all_sent``).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import threading
from dataclasses import dataclass, field

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.mail import wait_until_sent

from support.web import csrf_token

LINK = re.compile(r"https?://[^\s]+")
# Long enough for any test's mail; reached only when delivery hangs.
SEND_TIMEOUT = 60


def all_sent() -> None:
    """Wait until the mail queued so far was delivered (or given up on)."""
    assert wait_until_sent(SEND_TIMEOUT), "mail was still being sent"


@dataclass(frozen=True)
class Sent:
    """A message as its recipient reads it: to, subject, text."""

    to: str
    subject: str
    body: str


def outbox(app: Flask) -> list[Sent]:
    """What ``app`` sent so far (with ``MAIL_BACKEND = "locmem"``)."""
    all_sent()
    messages = getattr(app.extensions["mailman"], "outbox", [])
    return [Sent(", ".join(m.to), str(m.subject), str(m.body)) for m in messages]


def clear_outbox(app: Flask) -> None:
    """Forget what ``app`` sent so far."""
    all_sent()
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

    Closing the answer runs what waits for it to be sent; then the mail it queued is sent.
    """
    token = csrf_token(client, page or path)
    response = client.post(path, data={**data, "csrf_token": token})
    response.close()
    all_sent()
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
    """An SMTP server on 127.0.0.1 that keeps every message it is sent.

    ``hold()`` makes it take each message but answer only once ``release()`` is called:
    a mail server that is slow to answer.
    """

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    controller: object = None
    arrived: threading.Condition = field(default_factory=threading.Condition)
    released: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        """Listen on a free port."""
        from aiosmtpd.controller import Controller

        server = self
        self.released.set()

        class Keep:
            async def handle_DATA(self, _server, _session, envelope):
                if not server.released.is_set():
                    wait = server.released.wait
                    await asyncio.get_running_loop().run_in_executor(None, wait, SEND_TIMEOUT)
                parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with server.arrived:
                    server.messages.append(parsed)
                    server.arrived.notify_all()
                return "250 Message accepted"

        if not self.port:
            with socket.socket() as probe:
                probe.bind((self.host, 0))
                self.port = probe.getsockname()[1]
        self.controller = Controller(Keep(), hostname=self.host, port=self.port)
        self.controller.start()

    def hold(self) -> None:
        """Answer no message until ``release()``."""
        self.released.clear()

    def release(self) -> None:
        """Answer the messages held, and every one from now on."""
        self.released.set()

    def messages_to(self, to: str) -> list[email.message.EmailMessage]:
        """The messages to ``to``, waiting for the first (a server's mail thread sends it)."""
        with self.arrived:
            self.arrived.wait_for(lambda: any(m["To"] == to for m in self.messages), SEND_TIMEOUT)
            return [message for message in self.messages if message["To"] == to]

    def stop(self) -> None:
        """Stop listening: connections are refused from now on."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def config(self) -> dict:
        """The settings that send an app's mail here."""
        return {"MAIL_BACKEND": "smtp", "MAIL_SERVER": self.host, "MAIL_PORT": self.port}
