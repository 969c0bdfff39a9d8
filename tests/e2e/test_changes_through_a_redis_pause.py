"""A revocation and a deactivation through a Redis pause, on 4 gunicorn workers.

Redis (a redis-server of the test's own) is paused with SIGSTOP while a key is revoked and
a user deactivated, as other threads call the API with their keys. Paused through the
whole change, the change is refused (503) and nothing changes; resumed while the change
waits for it, the change is made, and no request sent after its answer is admitted.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest
import requests
from e2e_support import (
    POSTGRES_ONLY,
    TIMEOUT,
    UNLIMITED_ENV,
    Timed,
    key_header,
    run_concurrently,
    timed_call,
    wait_for,
)

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis, POSTGRES_ONLY]


class Hammer:
    """Threads calling ``GET /api/me`` with some keys until the block ends, every call timed."""

    def __init__(self, base_url: str, keys: list[str], threads: int = 4) -> None:
        self.base_url = base_url
        self.keys = keys
        self.calls: list[Timed] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,)) for n in range(threads)]

    def _run(self, offset: int) -> None:
        with requests.Session() as http:
            for n in range(offset, 10**9):
                if self._stop.is_set():
                    return
                key = self.keys[n % len(self.keys)]
                record, _ = timed_call(http, "GET", f"{self.base_url}/api/me", key)
                with self._lock:
                    self.calls.append(record)

    def after(self, key_id: str, moment: float) -> list[Timed]:
        """The calls with ``key_id`` sent after ``moment``."""
        with self._lock:
            return [call for call in self.calls if call.key_id == key_id and call.sent > moment]

    def __enter__(self) -> Hammer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


class Paused:
    """Redis stopped (SIGSTOP) for the block, or until ``resume_after`` seconds."""

    def __init__(self, redis, resume_after: float | None = None) -> None:
        self.process = redis.process
        self.timer = None if resume_after is None else threading.Timer(resume_after, self.resume)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def __enter__(self) -> None:
        self.process.send_signal(signal.SIGSTOP)
        if self.timer is not None:
            self.timer.start()

    def __exit__(self, *_exc) -> None:
        if self.timer is not None:
            self.timer.join()
        self.resume()


def change(base_url: str, how: str, target: str, key: str) -> tuple[int, float]:
    """Revoke a key (``target``: its id) or deactivate a user (its id); status, answered at."""
    with requests.Session() as http:
        if how == "revoke":
            url, method, body = f"{base_url}/api/keys/{target}/revoke", "POST", None
        else:
            url, method, body = f"{base_url}/api/admin/users/{target}", "PATCH", {"active": False}
        response = http.request(method, url, headers=key_header(key), json=body, timeout=TIMEOUT)
    return response.status_code, time.monotonic()


def test_a_change_through_a_redis_pause_is_refused_or_holds_on_every_worker(
    gunicorn, database_url, factory, own_redis
):
    _, admin_key = factory.key(factory.user(role="admin"))
    owner = factory.user()
    revoked_id, revoked = factory.key(owner, "Deploy bot")
    _, manager = factory.key(owner, "Manager")
    leaver = factory.user()
    leaver_key_id, leaver_key = factory.key(leaver)
    env = {"FLASK_RATELIMIT_STORAGE_URI": own_redis.url, **UNLIMITED_ENV}
    server = gunicorn(database_url, workers=4, env=env)

    def status(key: str) -> int:
        with requests.Session() as http:
            return http.get(
                f"{server.url}/api/me", headers=key_header(key), timeout=TIMEOUT
            ).status_code

    for key in (revoked, leaver_key):  # cached in Redis, whichever worker asked
        assert set(run_concurrently([lambda k=key: status(k)] * 16, threads=8)) == {200}

    with Hammer(server.url, [revoked, leaver_key]) as hammer:
        with Paused(own_redis):  # through the whole change: refused, nothing changed
            assert change(server.url, "revoke", revoked_id, manager)[0] == 503
            assert change(server.url, "deactivate", leaver.id, admin_key)[0] == 503
        refused_at = time.monotonic()
        wait_for(lambda: len(hammer.after(revoked_id, refused_at)) >= 8, 30, "calls after 503")
        revoke_sent = time.monotonic()
        with Paused(own_redis, resume_after=0.3):  # back while the change waits for it
            revoke_status, revoked_at = change(server.url, "revoke", revoked_id, manager)
        with Paused(own_redis, resume_after=0.3):
            leave_status, left_at = change(server.url, "deactivate", leaver.id, admin_key)
        assert (revoke_status, leave_status) == (200, 200)
        wait_for(
            lambda: (
                len(hammer.after(revoked_id, left_at)) >= 40
                and len(hammer.after(leaver_key_id, left_at)) >= 40
            ),
            60,
            "calls after both changes",
        )

    between = [call for call in hammer.after(revoked_id, refused_at) if call.answered < revoke_sent]
    assert {call.status for call in between} == {200}  # the refused revoke changed nothing
    after_revoke = hammer.after(revoked_id, revoked_at)
    after_leaving = hammer.after(leaver_key_id, left_at)
    assert {call.status for call in after_revoke} == {401}, after_revoke
    assert {call.status for call in after_leaving} == {401}, after_leaving
