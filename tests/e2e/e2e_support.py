"""Helpers for the end-to-end tests: a console client over HTTP, timed calls, threads.

Everything here talks to a real gunicorn over real sockets, as an outside client would.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from app.keys.format import checksum, generate_key, parse_key

from support.web import CSRF_META

# The database half of a test, pinned: the DB is not what these tests are about, or only
# one of them can do what the test needs.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

# Budgets so large that a test about something else never meets them.
UNLIMITED_ENV = {
    "FLASK_ROLE_RATE_LIMITS": (
        '{"standard": "100000 per minute", "premium": "100000 per minute", '
        '"admin": "100000 per minute"}'
    ),
    "FLASK_FAILED_KEY_RATE_LIMIT": "100000 per minute",
}

TIMEOUT = 30  # seconds for any one HTTP request: a hang is a failure, not a stuck suite

_NEW_KEY = re.compile(r'<textarea id="new-key-[^"]*"[^>]*>(ck_[A-Za-z0-9_]+)</textarea>')


def key_header(key: str) -> dict[str, str]:
    """The header that authenticates ``key``."""
    return {"X-API-Key": key}


def key_id_of(key: str) -> str:
    """The public key id inside a full key."""
    parsed = parse_key(key)
    assert parsed is not None, "not a well-formed key"
    return parsed.key_id


def wrong_secret_for(key_id: str) -> str:
    """A well-formed key, right checksum and all, for a real key id with the wrong secret."""
    body = f"ck_{key_id}_{generate_key().value[16:-6]}"
    return body + checksum(body)


def bcrypt_checks_of_keys(base_url: str) -> float:
    """A server's count of key bcrypt checks, from /metrics (summed over its workers)."""
    text = requests.get(f"{base_url}/metrics", timeout=TIMEOUT).text
    match = re.search(r'^chameleon_bcrypt_checks_total\{of="key"\} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


def error_code(response: requests.Response) -> str | None:
    """The ``error.code`` of a JSON error answer, or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("code")
    return None


def assert_rate_limited(response: requests.Response) -> None:
    """A documented 429: JSON error ``rate_limited``, ``Retry-After`` and the headers."""
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message"}
    assert error["code"] == "rate_limited"
    assert "retry" in error["message"].lower()
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert "X-RateLimit-Limit" in response.headers
    assert "X-RateLimit-Reset" in response.headers


def run_concurrently(calls: Iterable[Callable[[], Any]], threads: int) -> list[Any]:
    """Run every call on a pool of ``threads``; return the results in order.

    An exception in any call is raised here, in the test, not lost in a thread.
    """
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.05):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def server_log_errors(log: str) -> list[str]:
    """Lines of a gunicorn log that show a crash: unhandled errors, any 5xx but 503."""
    bad = []
    for line in log.splitlines():
        if (
            "unhandled error" in line
            or "database is locked" in line
            or "WORKER TIMEOUT" in line
            or re.search(r'HTTP/1\.[01]" 5(?!03)\d\d ', line)
        ):
            bad.append(line)
    return bad


class ConsoleClient:
    """A person using the console over HTTP: sign in, create and revoke keys (CSRF included)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.csrf = ""

    def close(self) -> None:
        """Close the pooled connections."""
        self.http.close()

    def __enter__(self) -> ConsoleClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, path: str) -> requests.Response:
        """GET a console page and keep the CSRF token it carries."""
        response = self.http.get(self.base_url + path, timeout=TIMEOUT)
        match = CSRF_META.search(response.text)
        assert match, f"no CSRF token on {path} ({response.status_code})"
        self.csrf = match.group(1)
        return response

    def submit_login(self, email: str, password: str) -> requests.Response:
        """Open the sign-in page and post the form; return the answer (not followed)."""
        self.load("/en/login")
        return self.http.post(
            self.base_url + "/en/login",
            data={"email": email, "password": password, "csrf_token": self.csrf},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def login(self, email: str, password: str) -> None:
        """Sign in and pick up the signed-in session's CSRF token."""
        response = self.submit_login(email, password)
        assert response.status_code == 302, f"sign-in failed: {response.status_code}"
        assert self.load("/en/api-keys").status_code == 200

    def fork(self) -> ConsoleClient:
        """Another client with this one's signed-in session (a second tab, own connections)."""
        other = ConsoleClient(self.base_url)
        other.http.cookies.update(self.http.cookies)
        other.csrf = self.csrf
        return other

    def create_key(self, name: str, *, htmx: bool = False) -> tuple[str, str]:
        """Submit the create form; return the new key's id and the key shown once."""
        headers = {"HX-Request": "true"} if htmx else {}
        response = self.http.post(
            self.base_url + "/en/api-keys",
            data={"name": name, "csrf_token": self.csrf},
            headers=headers,
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert response.status_code == 200, f"create answered {response.status_code}"
        match = _NEW_KEY.search(response.text)
        assert match, "the created page does not show the new key"
        key = match.group(1)
        return key_id_of(key), key

    def revoke_key(self, key_id: str, *, htmx: bool = False) -> requests.Response:
        """Confirm the revoke form for ``key_id``; return the answer (not followed)."""
        headers = {"HX-Request": "true"} if htmx else {}
        return self.http.post(
            f"{self.base_url}/en/api-keys/{key_id}/revoke",
            data={"csrf_token": self.csrf},
            headers=headers,
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def keys_page(self) -> str:
        """The /api-keys page's HTML."""
        response = self.http.get(self.base_url + "/en/api-keys", timeout=TIMEOUT)
        assert response.status_code == 200
        return response.text


@dataclass
class Timed:
    """One API call: which key, when it was sent and answered (monotonic), what came back."""

    key_id: str
    sent: float
    answered: float
    status: int
    code: str | None


def timed_call(
    http: requests.Session, method: str, url: str, key: str, **kwargs: Any
) -> tuple[Timed, requests.Response]:
    """Send one API request with ``key``, noting when it left and when it came back."""
    sent = time.monotonic()
    response = http.request(method, url, headers=key_header(key), timeout=TIMEOUT, **kwargs)
    answered = time.monotonic()
    record = Timed(key_id_of(key), sent, answered, response.status_code, error_code(response))
    return record, response
