"""The second factor from the test client: enrol through the real pages, make codes."""

from __future__ import annotations

import html
import re
import time

import pyotp
from flask.testing import FlaskClient

from support.mail import post

SECRET = re.compile(r"<dd><code[^>]*>([A-Z2-7]{16,})</code></dd>")
RECOVERY_CODE = re.compile(r"<li><code>([a-z0-9]{4}(?:-[a-z0-9]{4}){3})</code></li>")


def code_now(secret: str, *, offset_steps: int = 0) -> str:
    """The TOTP code for ``secret`` at ``time.time()`` (which the ``clock`` fixture moves)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def enrolment_secret(client: FlaskClient) -> str:
    """The secret the enrolment page shows as text."""
    page = client.get("/en/account/two-factor").text
    match = SECRET.search(page)
    assert match, "no secret on the enrolment page"
    return html.unescape(match.group(1))


def enrol(client: FlaskClient) -> tuple[str, list[str]]:
    """Turn the signed-in user's second factor on; the secret and the recovery codes."""
    secret = enrolment_secret(client)
    answer = post(client, "/en/account/two-factor", {"code": code_now(secret)})
    assert answer.status_code == 200, answer.text
    codes = RECOVERY_CODE.findall(answer.text)
    assert len(codes) == 10
    return secret, codes
