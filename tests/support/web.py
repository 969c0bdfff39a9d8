"""The console's forms from the Flask test client: CSRF tokens, signing in and out."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from support.factory import UserInfo

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
# What a strict Content-Security-Policy would block: script or style in the page itself.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def csrf_token(client: FlaskClient, path: str = "/en/login") -> str:
    """The CSRF token the page at ``path`` gives this client's session."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF_META.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class AuthActions:
    """Sign in and out through the real forms, CSRF token included."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(
        self, user: UserInfo | None = None, *, email: str = "", password: str = ""
    ) -> TestResponse:
        """Post the sign-in form; return the response."""
        if user is not None:
            email, password = user.email, user.password
        token = csrf_token(self.client)
        return self.client.post(
            "/en/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self) -> TestResponse:
        """Post the sign-out form; return the response."""
        token = csrf_token(self.client, "/en/api-keys")
        return self.client.post("/en/logout", data={"csrf_token": token})
