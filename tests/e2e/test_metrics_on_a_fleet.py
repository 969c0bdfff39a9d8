"""/metrics on real gunicorns: every worker's counts summed, and only for allowed networks.

Each worker counts into files of its own in PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py);
whichever worker answers /metrics sums them all. No label may hold a key, a key id, an
email or a raw path, whatever the requests were.
"""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from e2e_support import TIMEOUT, key_header, run_concurrently, wait_for, wrong_secret_for
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.parser import text_string_to_metric_families

pytestmark = [pytest.mark.gunicorn]

WORKERS = 4
GOOD_REQUESTS = 50
WRONG_KEYS = 5
PAUSE = 0.05  # seconds between the two parts of a request's headers


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a Prometheus text answer: (name, labels) -> value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    """One sample's value, 0 when no such sample was ever counted."""
    return found.get((name, frozenset(labels.items())), 0.0)


def fresh_get(url: str, **kwargs) -> requests.Response:
    """A GET on a connection of its own, so the kernel may hand it to any worker."""
    with requests.Session() as http:
        return http.get(url, timeout=TIMEOUT, **kwargs)


def slow_get(base_url: str, path: str, headers: dict[str, str] | None = None) -> int:
    """A GET on a connection of its own, its headers sent in two parts; the status.

    A sync worker serves one connection at a time, so while it waits for the second part
    the requests of the other threads go to other workers: the counts are surely spread.
    """
    parts = urlsplit(base_url)
    lines = [f"{name}: {value}" for name, value in (headers or {}).items()]
    with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n".encode())
        time.sleep(PAUSE)
        sock.sendall("\r\n".join([*lines, "Connection: close", "", ""]).encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def worker_counter_files(metrics_dir: Path, master_pid: int) -> list[Path]:
    """The workers' counter files, not the master's.

    The master made the app before forking (preload_app), so it has one too, counting nothing.
    """
    files = sorted(metrics_dir.glob("counter_*.db"))
    return [path for path in files if path.stem != f"counter_{master_pid}"]


def counts_per_worker(metrics_dir: Path, work_dir: Path, master_pid: int) -> list[float]:
    """Each worker's own count of authenticated API requests, read from its own files."""
    counts = []
    for counter_file in worker_counter_files(metrics_dir, master_pid):
        alone = work_dir / counter_file.stem
        alone.mkdir()
        shutil.copy(counter_file, alone)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(alone))
        counts.append(registry.get_sample_value("chameleon_api_auth_total", {"outcome": "ok"}) or 0)
    return counts


@pytest.mark.redis
def test_metrics_sum_the_counts_of_every_worker(
    app, gunicorn, database_url, factory, redis_url, tmp_path
):
    user = factory.user("metrics@example.com")
    key_id, key = factory.key(user)
    metrics_dir = tmp_path / "metrics"
    server = gunicorn(
        database_url,
        workers=WORKERS,
        env={
            "FLASK_RATELIMIT_STORAGE_URI": redis_url,
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        },
    )

    # Every worker up and counting (each writes its files on its first counted answer: a
    # page, as health checks are not counted) before the requests that are counted: gunicorn
    # answers once one worker has booted.
    def every_worker_has_answered() -> bool:
        run_concurrently([lambda: slow_get(server.url, "/en/login")] * 8, threads=8)
        return len(worker_counter_files(metrics_dir, server.process.pid)) == WORKERS

    wait_for(every_worker_has_answered, 60, "every worker to answer")

    def me(key: str) -> int:
        return slow_get(server.url, "/api/me", key_header(key))

    calls = [lambda: me(key) for _ in range(GOOD_REQUESTS)]
    calls += [lambda: me(wrong_secret_for(key_id)) for _ in range(WRONG_KEYS)]
    # Paths with ids in them, to show they are never labels: a route and a 404.
    calls += [lambda: slow_get(server.url, f"/api/keys/{key_id}/usage", key_header(key))]
    calls += [lambda: slow_get(server.url, f"/api/{key_id}/metrics@example.com")]
    statuses = run_concurrently(calls, threads=8)
    assert statuses == [200] * GOOD_REQUESTS + [401] * WRONG_KEYS + [200, 404]

    scrape = fresh_get(f"{server.url}/metrics")

    assert scrape.status_code == 200
    assert scrape.headers["Content-Type"].startswith("text/plain")
    found = samples(scrape.text)
    requests_total = "chameleon_http_requests_total"
    assert value(found, requests_total, endpoint="/api/me", method="GET", status="200") == 50
    assert value(found, requests_total, endpoint="/api/me", method="GET", status="401") == 5
    assert value(found, "chameleon_api_auth_total", outcome="ok") == GOOD_REQUESTS + 1
    assert value(found, "chameleon_api_auth_total", outcome="wrong_secret") == WRONG_KEYS
    # The unknown path is answered 404 before any key check: no authentication outcome.
    assert value(found, "chameleon_api_auth_total", outcome="missing") == 0
    assert value(found, requests_total, endpoint="other", method="GET", status="404") == 1
    assert value(found, "chameleon_http_request_duration_seconds_count", endpoint="/api/me") == 55
    assert value(found, "chameleon_rate_limit_storage_fallback") == 0
    # Summed, not one worker's numbers: several workers counted some of them.
    per_worker = counts_per_worker(metrics_dir, tmp_path, server.process.pid)
    assert sum(per_worker) == GOOD_REQUESTS + 1
    assert len(per_worker) == WORKERS
    assert len([count for count in per_worker if count > 0]) >= 2, per_worker

    labels = {(name, value) for (_, pairs) in found for name, value in pairs}
    # Route templates such as /api/keys/<key_id>/usage, never the path that was asked for.
    templates = {rule.rule for rule in app.url_map.iter_rules()} | {"other"}
    assert {value for name, value in labels if name == "endpoint"} <= templates
    for _, text in labels:
        assert key_id not in text and "@" not in text, text
    assert key not in scrape.text and "metrics@example.com" not in scrape.text


def test_metrics_are_a_404_outside_the_allowed_networks(gunicorn, database_url):
    # Behind one trusted proxy (here, the test) X-Forwarded-For names the client.
    server = gunicorn(database_url, env={"FLASK_TRUSTED_PROXY_COUNT": "1"})
    metrics = f"{server.url}/metrics"

    outside = fresh_get(metrics, headers={"X-Forwarded-For": "198.51.100.9"})
    local = fresh_get(metrics, headers={"X-Forwarded-For": "127.0.0.1"})
    direct = fresh_get(metrics)

    assert outside.status_code == 404
    assert "chameleon_" not in outside.text
    assert local.status_code == 200 and "chameleon_" in local.text
    assert direct.status_code == 200
