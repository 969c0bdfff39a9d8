"""The sign-in storm figure: what a burst of failed sign-ins does to a genuine API client.

The production layout (deploy/nginx.conf) on PostgreSQL + Redis with the production
sign-in budgets and password-check ceiling: two workers serve pages and sign-ins, two
others the API, each pool a gunicorn of its own; requests go to the pool nginx would send
them to. 50 sign-ins with unknown emails, from 25 addresses (named in ``X-Forwarded-For``
to one trusted proxy), are sent at once; meanwhile one client with a genuine key calls
``GET /api/me`` one request after another. Reported: how the sign-ins were answered, and the
API client's latencies during the storm (goal: p99 under 50 ms).
"""

from __future__ import annotations

import re
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from fixtures import Dataset
from restart import check
from servers import Server, start_server

SIGN_INS = 50
ADDRESSES = 25
WORKERS = 2  # in each pool
TIMEOUT = 30
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def measure_storm(dataset: Dataset, redis_url: str, workdir: Path) -> dict[str, Any]:
    """Send the storm; time the genuine client's requests while it lasts."""
    from app.extensions import db
    from app.keys import service, verifier_secret
    from app.models import User

    # A key of its own: the run's revocation check has revoked one of the load keys.
    with dataset.app.app_context():
        owner = db.session.scalars(db.select(User)).first()
        key = service.create_key(
            owner, "storm", rounds=12, verifier=verifier_secret(dataset.app), max_active=1000
        )[1]

    def pool(name: str) -> Server:
        settings = {"FLASK_TRUSTED_PROXY_COUNT": "1"}
        return start_server(name, dataset.url, redis_url, workdir, None, workers=WORKERS,
                            settings=settings)  # fmt: skip

    server, api = pool("storm-site"), pool("storm-api")
    try:
        check(api.get("/api/me", key))
        attempts = [_ready_sign_in(server, n) for n in range(SIGN_INS)]
        start = threading.Barrier(SIGN_INS + 1)
        storm_over = threading.Event()
        latencies: list[float] = []

        def genuine_client() -> None:
            session = requests.Session()
            start.wait()
            while not storm_over.is_set():
                began = time.perf_counter()
                response = session.get(
                    f"{api.url}/api/me", headers={"X-API-Key": key}, timeout=TIMEOUT
                )
                latencies.append((time.perf_counter() - began) * 1000)
                check(response)

        client = threading.Thread(target=genuine_client)
        client.start()
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=SIGN_INS) as pool:
            statuses = list(pool.map(lambda attempt: attempt(start), attempts))
        storm_seconds = time.perf_counter() - began
        storm_over.set()
        client.join()
    finally:
        server.stop()
        api.stop()
    latencies.sort()
    return {
        "workers": {"site": WORKERS, "api": WORKERS},
        "sign_ins": SIGN_INS,
        "addresses": ADDRESSES,
        "sign_in_statuses": dict(sorted(Counter(statuses).items())),
        "storm_seconds": round(storm_seconds, 2),
        "api_requests": len(latencies),
        "api_ms": {
            "p50": round(statistics.median(latencies), 2),
            "p99": round(latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))], 2),
            "max": round(latencies[-1], 2),
        },
    }


def _ready_sign_in(server: Server, n: int):
    """A sign-in with its form already fetched: a call that waits at the barrier, then posts."""
    session = requests.Session()
    session.headers["X-Forwarded-For"] = f"198.51.100.{n % ADDRESSES + 1}"
    form = session.get(f"{server.url}/en/login", timeout=TIMEOUT)
    token = CSRF_META.search(form.text)
    if form.status_code != 200 or token is None:
        raise RuntimeError(f"storm: the sign-in form answered {form.status_code}")
    data = {
        "email": f"nobody-{n}@example.com",
        "password": "not anybody's password",
        "csrf_token": token.group(1),
    }

    def attempt(start: threading.Barrier) -> int:
        start.wait()
        return session.post(
            f"{server.url}/en/login", data=data, timeout=TIMEOUT, allow_redirects=False
        ).status_code

    return attempt
