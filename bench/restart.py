"""The restart figures: bcrypt once per key per fleet, seen from the outside.

Four workers on PostgreSQL + Redis serve 40 keys, each used once; gunicorn is stopped
and started again (every worker's memory is gone), then each key makes one request: the
latency of those first requests, and the number of bcrypt checks the whole fleet ran (its
Prometheus counter, summed over workers). Then the same with the keys' cached records
gone from Redis too, and the very first request of keys never used anywhere.
"""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path
from typing import Any

import requests
from fixtures import KEY_PREFIX, Dataset
from servers import start_server

KEYS = 40
NEW_KEYS = 5
WORKERS = 4


def measure_restart(dataset: Dataset, redis_url: str, workdir: Path) -> dict[str, Any]:
    """Serve, use every key, restart, and time each key's first request after it."""
    from app.extensions import db
    from app.keys import service, verifier_secret
    from app.models import User

    verifier = verifier_secret(dataset.app)
    with dataset.app.app_context():
        owner = db.session.scalars(db.select(User)).first()
        keys = [
            service.create_key(
                owner, f"restart {n}", rounds=12, verifier=verifier, max_active=1000
            )[1]
            for n in range(KEYS)
        ]

    def serve():
        return start_server("restart", dataset.url, redis_url, workdir, None, workers=WORKERS)

    server = serve()
    try:
        for key in keys:
            check(server.get("/api/me", key))
    finally:
        server.stop()

    server = serve()
    try:
        after_restart = first_requests(server, keys)
        bcrypt_after_restart = bcrypt_checks(server)
    finally:
        server.stop()

    _forget_cached_records(redis_url)
    server = serve()
    try:
        cold = first_requests(server, keys)
        with dataset.app.app_context():
            owner = db.session.scalars(db.select(User)).first()
            fresh = [
                service.create_key(
                    owner, f"new {n}", rounds=12, verifier=verifier, max_active=1000
                )[1]
                for n in range(NEW_KEYS)
            ]
        new_key = first_requests(server, fresh)
        bcrypt_total = bcrypt_checks(server)
    finally:
        server.stop()
    return {
        "workers": WORKERS,
        "keys": KEYS,
        "after_restart_ms": after_restart,
        "bcrypt_checks_after_restart": bcrypt_after_restart,
        "after_restart_without_cached_records_ms": cold,
        "new_key_first_request_ms": new_key,
        "bcrypt_checks_cold_and_new_keys": bcrypt_total,
    }


def check(response: requests.Response) -> None:
    """Stop the run when a request that must be admitted was not."""
    if response.status_code != 200:
        raise RuntimeError(f"restart: GET /api/me answered {response.status_code}")


def first_requests(server, keys: list[str]) -> dict[str, float]:
    """One ``GET /api/me`` per key, in turn: p50, p99 and max latency in milliseconds."""
    samples = []
    for key in keys:
        started = time.perf_counter()
        response = server.get("/api/me", key)
        samples.append((time.perf_counter() - started) * 1000)
        check(response)
    samples.sort()
    return {
        "p50": round(statistics.median(samples), 2),
        "p99": round(samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))], 2),
        "max": round(samples[-1], 2),
    }


def bcrypt_checks(server) -> int:
    """The fleet's key bcrypt checks so far, from its Prometheus counter."""
    text = requests.get(f"{server.url}/metrics", timeout=10).text
    match = re.search(r'^chameleon_bcrypt_checks_total\{of="key"\} (\S+)$', text, re.M)
    return int(float(match.group(1))) if match else 0


def _forget_cached_records(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        batch = list(client.scan_iter(match=f"{KEY_PREFIX}:*", count=1000))
        if batch:
            client.delete(*batch)
    finally:
        client.close()
