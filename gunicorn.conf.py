"""gunicorn settings for production: ``gunicorn wsgi:app`` (reads this file by default).

Every value can be set from the environment, and gunicorn's own flags (``-w 4``,
``-b 0.0.0.0:8000``) still win over this file.
"""

import gc
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from gunicorn import glogging

_storage = os.environ.get("FLASK_RATELIMIT_STORAGE_URI", "memory://")
_shared_limits = not _storage.startswith("memory://")

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One worker while rate limits are counted in process memory (see on_starting).
workers = int(
    os.environ.get("WEB_CONCURRENCY", (os.cpu_count() or 1) * 2 + 1 if _shared_limits else 1)
)
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM a worker finishes the requests it has (up to this long) before it exits.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Slow clients. A sync worker serves one connection at a time, so a client that sends its
# request slowly holds a whole worker until it is done or ``timeout`` passes (then gunicorn
# replaces the worker, and the slow client gets no answer). gunicorn's own answer is a
# buffering proxy in front (deploy/nginx.conf, or a cloud load balancer), which hands it only
# complete requests: never expose this server to the internet without one. Request lines
# and headers are limited in size (gunicorn's defaults, stated).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# The app is imported once, in the master, and forked: a new or recycled worker serves at
# once instead of spending a second of CPU importing it while requests queue (the app's
# connections, threads and caches are made per process, after the fork).
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
if os.path.isdir("/dev/shm"):  # noqa: S108  (gunicorn's own advice for worker_tmp_dir)
    # Worker heartbeats on a RAM disk: a slow disk cannot make gunicorn kill healthy workers.
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# gunicorn 27's control socket defaults to one path per user, which several gunicorns on
# one host would fight over; turn it on explicitly if you use gunicornc.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "") == ""
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# Believe X-Forwarded-* only from proxies the app trusts (TRUSTED_PROXY_COUNT); the app's
# ProxyFix does the rest. With no trusted proxy nobody can claim to be HTTPS or another IP.
_trusted_proxies = int(os.environ.get("FLASK_TRUSTED_PROXY_COUNT", "0") or 0)
forwarded_allow_ips = (
    os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1") if _trusted_proxies > 0 else ""
)

# Address, method, path (never the query string), status, size and time: no header value,
# so never a key, and no query string, so not even a key pasted into a URL by mistake. The
# time, level and request id come with every line, this one too (app/logs.py).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")


def _load_logs_module():
    # app/logs.py by its path, not ``import app.logs``: that would import the whole app into
    # the master, and workers forked from it after a HUP would keep running the old code.
    spec = importlib.util.spec_from_file_location(
        "_chameleon_logs", Path(__file__).resolve().parent / "app" / "logs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _flask_setting(name: str, default: str) -> str:
    # As the app reads FLASK_* variables (Flask's from_prefixed_env): JSON when it parses.
    raw = os.environ.get(f"FLASK_{name}")
    if raw is None:
        return default
    try:
        return json.loads(raw)
    except ValueError:
        return raw


_logs = _load_logs_module()


class RedactingLogger(glogging.Logger):
    """gunicorn's logger: keys redacted from every line, the request id on the access line.

    Both logs, and everything else logged in the master and the workers: a malformed
    request's line or header is quoted in the error log as sent.
    """

    def setup(self, cfg):
        """Redact from the first line on, then set up as configured (also on reload)."""
        _logs.install_record_factory()
        super().setup(cfg)

    def access(self, resp, req, environ, request_time):
        """Write the access line, with the ``X-Request-ID`` the app answered with."""
        sent = (value for name, value in resp.headers if name.lower() == "x-request-id")
        token = _logs.ACCESS_REQUEST_ID.set(next(sent, None))
        try:
            super().access(resp, req, environ, request_time)
        finally:
            _logs.ACCESS_REQUEST_ID.reset(token)


logger_class = RedactingLogger
# One logging configuration for gunicorn's logs and the app's, from the app's own
# FLASK_LOG_LEVEL and FLASK_LOG_FORMAT.
try:
    logconfig_dict = _logs.logging_config(
        _flask_setting("LOG_LEVEL", "INFO"),
        _flask_setting("LOG_FORMAT", "text"),
        error_log=errorlog,
        access_log=accesslog,
    )
except ValueError as _error:
    sys.exit(f"Configuration error: {_error}")
loglevel = logconfig_dict["root"]["level"].lower()
if os.environ.get("GUNICORN_LOGLEVEL"):
    # gunicorn's own error log may say more (or less) than the app's lines.
    loglevel = os.environ["GUNICORN_LOGLEVEL"].lower()
    logconfig_dict["loggers"]["gunicorn.error"]["level"] = loglevel.upper()


# Prometheus metrics summed over every worker (app/metrics.py): each process keeps its
# numbers in files here. Made ready now, in the master, before the app is imported (the
# preloaded app opens its files at import): an earlier run's files would be summed in.
# Once per master: gunicorn reads this file again on HUP, while the workers count on.
if os.environ.get("CHAMELEON_METRICS_MASTER") != str(os.getpid()):
    os.environ["CHAMELEON_METRICS_MASTER"] = str(os.getpid())
    _metrics_dir_made = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    os.environ["CHAMELEON_METRICS_DIR_MADE"] = "1" if _metrics_dir_made else ""
    if _metrics_dir_made:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="chameleon-metrics-")
    _metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(_metrics_dir, exist_ok=True)
    for _name in os.listdir(_metrics_dir):
        if _name.endswith(".db"):
            os.remove(os.path.join(_metrics_dir, _name))


def _refuse_unshared_limits(workers_count: int) -> None:
    if workers_count > 1 and not _shared_limits:
        sys.exit(
            f"Refusing to start {workers_count} workers with rate limits in process memory "
            f"(memory://): each worker would grant the whole budget again. Set "
            f"FLASK_RATELIMIT_STORAGE_URI=redis://host:6379/0, or run one worker."
        )


def post_worker_init(worker):
    """Ready a new worker before its first request: connections, and its budget share.

    Then it logs "Worker ready", with how long that took: a restart is over when every
    worker has said it (the benchmark's first requests wait for that, bench/servers.py).

    While Redis is away each worker counts its share of every budget: the workers on this
    host divide it (unless RATELIMIT_FALLBACK_DIVISOR says otherwise).
    """
    from app.api.key_hook import warm_up

    started = time.perf_counter()
    app = worker.wsgi
    if not os.environ.get("FLASK_RATELIMIT_FALLBACK_DIVISOR"):
        app.extensions["limit_counter"].fallback_divisor = max(1, worker.cfg.workers)
    warm_up(app)
    # gunicorn says when a worker starts booting, not when it takes requests: this does.
    worker.log.info("Worker ready (pid: %s), warmed up in %.0f ms", worker.pid,
                    (time.perf_counter() - started) * 1000)  # fmt: skip


def when_ready(server):
    """A preloading master compiles the templates and loads the languages its workers share."""
    if server.cfg.preload_app:
        from app.preload import ready_before_fork

        ready_before_fork(server.app.wsgi())


def pre_fork(server, worker):
    """Freeze what the master holds (the preloaded app) out of the workers' garbage collector.

    Python's advice for a fork without exec (``gc.freeze``): a worker's full collection then
    walks only what the worker made itself, not the whole app it inherited (tens of
    milliseconds a request would wait for), and no longer writes to the inherited pages.
    """
    gc.freeze()


def on_starting(server):
    """Refuse workers that would each count rate limits alone; say where mail goes."""
    _refuse_unshared_limits(server.cfg.workers)
    if not os.environ.get("FLASK_MAIL_SERVER"):
        # Said once, by the master: settings only come from FLASK_* variables.
        server.log.info("No FLASK_MAIL_SERVER: mail is written to this output, not sent.")


def worker_exit(server, worker):
    """A worker stopping cleanly writes the key usage it counted and has not written yet."""
    app = getattr(worker, "wsgi", None)
    counter = getattr(app, "extensions", {}).get("usage_counter")
    if counter is not None:
        counter.flush()


def child_exit(server, worker):
    """A worker is gone: its gauges stop counting ("live" modes); its counters stay summed."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics folder this config made."""
    if os.environ.get("CHAMELEON_METRICS_DIR_MADE"):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def nworkers_changed(server, new_value, old_value):
    """The same check when workers are added at run time (SIGTTIN)."""
    _refuse_unshared_limits(new_value)
