"""A flood of sign-ins buys at most the fleet's budget of password checks; the API stays open.

On 2 gunicorn workers sharing Redis, whatever the mix of addresses and emails. Sign-ins
come from real loopback addresses (127.0.0.20 and up), two per address, each for an email
nobody has, so no budget per address or per email is ever reached.
"""

from __future__ import annotations

import re

import pytest
import requests
from e2e_support import POSTGRES_ONLY, TIMEOUT, key_header, run_concurrently
from requests.adapters import HTTPAdapter

from support.web import CSRF_META

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis, POSTGRES_ONLY]

BUDGET = 5  # password checks a minute, for the whole fleet: no clock can run out in a test


class FromAddress(HTTPAdapter):
    """Connect from one loopback address (Linux answers for all of 127/8)."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        """Bind each connection to ``source``."""
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def stranger(base_url: str, source: str) -> tuple[requests.Session, str]:
    """A browser at ``source`` with the sign-in page open: its session and CSRF token."""
    session = requests.Session()
    session.mount("http://", FromAddress(source))
    page = session.get(f"{base_url}/en/login", timeout=TIMEOUT).text
    return session, CSRF_META.search(page).group(1)


def password_checks(base_url: str) -> float:
    """The fleet's count of password bcrypt checks, from /metrics (summed over the workers)."""
    text = requests.get(f"{base_url}/metrics", timeout=TIMEOUT).text
    match = re.search(r'^chameleon_bcrypt_checks_total\{of="password"\} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


def test_fifty_sign_ins_from_25_addresses_buy_at_most_the_fleets_budget(
    gunicorn, database_url, factory, redis_url
):
    _, key = factory.key(factory.user("genuine@example.com", role="admin"))
    server = gunicorn(
        database_url,
        workers=2,
        env={
            "FLASK_RATELIMIT_STORAGE_URI": redis_url,
            "FLASK_PASSWORD_CHECK_RATE_LIMIT": f"{BUDGET} per minute",
        },
    )
    browsers = [stranger(server.url, f"127.0.0.{20 + n // 2}") for n in range(50)]
    before = password_checks(server.url)

    def sign_in(number: int) -> int:
        session, token = browsers[number]
        form = {"email": f"nobody{number}@example.com", "password": "a guess", "csrf_token": token}
        return session.post(f"{server.url}/en/login", data=form, timeout=TIMEOUT).status_code

    def genuine_call(_: int) -> int:
        response = requests.get(f"{server.url}/api/me", headers=key_header(key), timeout=TIMEOUT)
        return response.status_code

    calls = [lambda n=n: sign_in(n) for n in range(50)]
    calls += [lambda n=n: genuine_call(n) for n in range(20)]
    statuses = run_concurrently(calls, threads=25)
    sign_ins, genuine = statuses[:50], statuses[50:]

    spent = password_checks(server.url) - before
    assert spent <= BUDGET
    assert sign_ins.count(422) == spent  # a wrong password, after its one check
    assert sign_ins.count(429) == 50 - spent  # refused at once, with no check
    assert genuine == [200] * 20
