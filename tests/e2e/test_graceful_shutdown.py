"""SIGTERM lets a request in flight finish.

The slow request is a key's first check in a worker: bcrypt at cost 14 (about a second).
The test watches the worker's CPU time to know the check is running, then sends SIGTERM
to gunicorn; the request must still get its 200, after the signal, and gunicorn exit 0.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from e2e_support import SQLITE_ONLY, TIMEOUT, key_header, key_id_of, wait_for

pytestmark = [pytest.mark.gunicorn, SQLITE_ONLY]

SLOW_ROUNDS = 14
CPU_TICKS_WHEN_BUSY = 5  # 50 ms of CPU at the usual 100 ticks a second: bcrypt has begun


def slow_key(factory, user) -> str:
    """A key hashed at a high bcrypt cost, so its first check takes about a second."""
    from app import accounts
    from app.keys import service, verifier_secret

    with factory.app.app_context():
        owner = accounts.get_user(user.id)
        row, key = service.create_key(
            owner, "Slow", rounds=SLOW_ROUNDS, verifier=verifier_secret(factory.app), max_active=100
        )
        key_id = row.key_id
    # No verifier, as for a key made before verifiers: its first request runs bcrypt.
    factory.drop_verifier(key_id)
    return key


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (gunicorn's workers), from /proc."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()]


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time of ``pid`` so far, in clock ticks."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_sigterm_lets_the_request_in_flight_finish(gunicorn, database_url, factory):
    user = factory.user()
    key = slow_key(factory, user)
    server = gunicorn(database_url, workers=1)
    (worker,) = wait_for(lambda: children(server.process.pid), timeout=10, what="the worker")
    idle = cpu_ticks(worker)

    def slow_request() -> tuple[requests.Response, float]:
        with requests.Session() as http:
            response = http.post(
                f"{server.url}/api/endpoint",
                headers=key_header(key),
                json={"in": "flight"},
                timeout=TIMEOUT,
            )
        return response, time.monotonic()

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(slow_request)
        wait_for(
            lambda: cpu_ticks(worker) - idle >= CPU_TICKS_WHEN_BUSY or future.done(),
            timeout=10,
            what="the worker to start the bcrypt check",
            interval=0.01,
        )
        assert not future.done(), "the request finished before SIGTERM: not slow enough"
        signalled = time.monotonic()
        os.kill(server.process.pid, signal.SIGTERM)
        response, answered = future.result(timeout=TIMEOUT)

    assert answered > signalled
    assert response.status_code == 200, response.text
    assert response.json()["key"]["id"] == key_id_of(key)
    assert response.json()["received"] == {"in": "flight"}
    assert server.process.wait(timeout=30) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/livez", timeout=TIMEOUT)
