"""Prometheus metrics: every name and label defined here, the hooks that observe them, /metrics.

Under gunicorn the numbers are summed over every worker: gunicorn.conf.py gives the
workers a ``PROMETHEUS_MULTIPROC_DIR`` before anything imports prometheus_client, and
marks dead workers' files. Every label has a closed set of values: route templates
(``/api/keys/<key_id>/revoke``), known methods and statuses, roles, outcomes; anything else
a client could send is ``other``. Health checks and /metrics are not request metrics.
Only ``METRICS_ALLOWED_NETWORKS`` may read /metrics; anyone else gets a 404.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import time
from typing import TypeVar

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from werkzeug.http import HTTP_STATUS_CODES

# The methods HTTP defines (and PATCH); any other method a client invents is "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
OTHER = "other"
# Load balancers' and Prometheus's own requests, kept out of the request metrics (and so out
# of the alerts on them): a probe that fails says so to its load balancer already.
UNOBSERVED_ROUTES = frozenset({"/livez", "/readyz", "/healthz", "/metrics"})

REQUESTS = Counter(
    "chameleon_http_requests_total",
    "HTTP requests answered, by route template, method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "chameleon_http_request_duration_seconds",
    "Time from the request reaching the app to its answer, by route template.",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
API_AUTH = Counter(
    "chameleon_api_auth_total",
    "API key checks by outcome: ok, missing, malformed, unknown, revoked, inactive_user, "
    "expired, disabled, address_not_allowed, wrong_secret, throttled.",
    ["outcome"],
)
BCRYPT_CHECKS = Counter(
    "chameleon_bcrypt_checks_total", "bcrypt checks run, of keys and of passwords.", ["of"]
)
RATE_LIMITED = Counter(
    "chameleon_rate_limit_refusals_total",
    "Requests refused with 429, by budget (api, failed_key, sign_in, key_create, "
    "password_checks) and the user's role.",
    ["budget", "role"],
)
STORAGE_FALLBACK = Gauge(
    "chameleon_rate_limit_storage_fallback",
    "1 while a process counts budgets in its own memory because the storage is away.",
    multiprocess_mode="livemax",
)

bp = Blueprint("metrics", __name__)

M = TypeVar("M", Counter, Histogram)


@functools.cache
def labelled(metric: M, *values: str) -> M:
    """``metric.labels(*values)``, looked up once per process (every request asks).

    Bounded: every label has a closed set of values (see above).
    """
    return metric.labels(*values)


def init_app(app: Flask) -> None:
    """Follow the limiter storage's fallback state, and serve /metrics.

    The hooks that observe requests (``start_clock``, ``observe``) are registered by
    ``register_request_hooks`` in app/__init__.py, in their place among the others.
    """
    counter = app.extensions["limit_counter"]
    counter.on_state_change = lambda in_fallback: STORAGE_FALLBACK.set(int(in_fallback))
    app.extensions["metrics_networks"] = [
        ipaddress.ip_network(network) for network in app.config["METRICS_ALLOWED_NETWORKS"]
    ]
    app.register_blueprint(bp)


def start_clock() -> None:
    """Note when the request reached the app (a ``before_request`` hook)."""
    g.started_at = time.perf_counter()


def observe(response: Response) -> Response:
    """Count the answer and its latency under closed labels (an ``after_request`` hook)."""
    rule = request.url_rule
    endpoint = rule.rule if rule is not None else OTHER
    if endpoint in UNOBSERVED_ROUTES:
        return response
    method = request.method if request.method in METHODS else OTHER
    status = response.status_code
    status_label = str(status) if status in HTTP_STATUS_CODES else OTHER
    labelled(REQUESTS, endpoint, method, status_label).inc()
    started = g.get("started_at")
    if started is not None:
        labelled(LATENCY, endpoint).observe(time.perf_counter() - started)
    return response


@bp.get("/metrics")
def metrics() -> Response:
    """The Prometheus text format, to the allowed networks only (404 for anyone else)."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        abort(404)
    if not any(address in network for network in current_app.extensions["metrics_networks"]):
        abort(404)
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
