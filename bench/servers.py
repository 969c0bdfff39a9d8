"""Real gunicorn servers for the benchmark, pinned to a core, read through ``/proc``.

Each server runs the production ``gunicorn.conf.py`` with ONE sync worker. With two cores
and ``taskset``, the servers get one core and wrk the other, so the load generator never
steals the server's CPU.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import requests
from fixtures import KEY_PREFIX, SECRET_KEY

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# High enough never to refuse; per second so the moving window's lists stay short: it keeps
# one entry per request in the window, so a huge per-minute budget would grow lists (and
# memory) far beyond anything a real budget allows, and measure that instead of the hot path.
UNLIMITED = "100000000 per second"
ROLE_LIMITS = {"standard": UNLIMITED, "premium": UNLIMITED, "admin": UNLIMITED}


@dataclass
class Server:
    """A gunicorn serving one dataset."""

    name: str
    url: str
    process: subprocess.Popen
    log_path: Path

    def get(self, path: str, key: str | None = None, timeout: float = 30) -> requests.Response:
        """``GET path``, with ``key`` as the X-API-Key header when given."""
        headers = {"X-API-Key": key} if key is not None else {}
        return requests.get(f"{self.url}{path}", headers=headers, timeout=timeout)

    def worker_pid(self) -> int | None:
        """The pid of the (one) worker: the master's child process."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with suppress(OSError):
                stat = (entry / "stat").read_text()
                # The command name is in parentheses and may hold spaces; ppid follows it.
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    return int(entry.name)
        return None

    def worker_cpu_seconds(self) -> float:
        """CPU time (user + system) the worker has used so far, 0.0 when unknown."""
        pid = self.worker_pid()
        if pid is None:
            return 0.0
        with suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            # utime and stime are fields 14 and 15 of stat(5), in clock ticks.
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return 0.0

    def worker_rss_kib(self) -> int | None:
        """The worker's resident set size (VmRSS) in KiB, or None when unknown."""
        pid = self.worker_pid()
        if pid is None:
            return None
        with suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    def ready(self, workers: int) -> bool:
        """Whether ``workers`` workers have logged "Worker ready" (gunicorn.conf.py)."""
        return self.log_path.read_text(errors="replace").count("Worker ready (pid") >= workers

    def log_tail(self, lines: int = 30) -> str:
        """The end of gunicorn's log, for error messages."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Stop gunicorn gracefully, or kill it after ten seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def clean_environment() -> None:
    """Drop the developer's FLASK_* settings: the benchmark decides its own configuration."""
    for name in list(os.environ):
        if name.startswith(("FLASK_", "GUNICORN_")) or name in ("DATABASE_URL", "WEB_CONCURRENCY"):
            del os.environ[name]


def cpu_plan() -> tuple[int, int] | None:
    """(server core, wrk core) when taskset and two cores are available, else None."""
    cores = sorted(os.sched_getaffinity(0))
    if shutil.which("taskset") is None or len(cores) < 2:
        return None
    return cores[0], cores[1]


def pinned(command: list[str], cpu: int | None) -> list[str]:
    """``command`` run on one core with taskset (unchanged when ``cpu`` is None)."""
    return command if cpu is None else ["taskset", "-c", str(cpu), *command]


def start_server(
    name: str,
    database_url: str,
    storage_uri: str,
    workdir: Path,
    cpu: int | None,
    *,
    library: str | None = None,
    workers: int = 1,
    settings: dict[str, str] | None = None,
) -> Server:
    """Start gunicorn (production config, sync workers) and wait until it answers.

    ``library`` serves bench/library_wsgi.py with that hand-written piece swapped for the
    library's version, so both can be measured in one run. ``settings`` are environment
    variables on top of the benchmark's own (``FLASK_...``).
    """
    port = free_port()
    log_path = workdir / f"gunicorn-{name}.log"
    app_path = (
        ["--pythonpath", str(Path(__file__).parent), "library_wsgi:app"]
        if library
        else ["wsgi:app"]
    )
    command = [
        sys.executable, "-m", "gunicorn", *app_path,
        "--config", str(PROJECT_ROOT / "gunicorn.conf.py"),
        "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}",
    ]  # fmt: skip
    env = server_environment(database_url, storage_uri) | (settings or {})
    if library:
        env["CHAMELEON_BENCH_LIBRARY"] = library
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            pinned(command, cpu),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_serving(server, workers)
    except BaseException:
        server.stop()  # nobody else holds it yet, so it would outlive the run
        raise
    return server


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(database_url: str, storage_uri: str) -> dict[str, str]:
    """The environment gunicorn and the app run with: limits that never refuse."""
    return {
        **os.environ,
        "FLASK_SQLALCHEMY_DATABASE_URI": database_url,
        "FLASK_SECRET_KEY": SECRET_KEY,
        "FLASK_RATELIMIT_STORAGE_URI": storage_uri,
        "FLASK_ROLE_RATE_LIMITS": json.dumps(ROLE_LIMITS),
        "FLASK_FAILED_KEY_RATE_LIMIT": UNLIMITED,
        "FLASK_RATELIMIT_KEY_PREFIX": KEY_PREFIX,
    }


def wait_until_serving(server: Server, workers: int = 1, timeout: float = 30) -> None:
    """Wait for ``/livez`` to answer 200 and every worker to have logged that it is ready.

    gunicorn spawns its workers up to 100 ms apart, and the first answers as soon as it is
    up: requests timed before the others are ready would share the two cores with their
    boot (gunicorn.conf.py, ``post_worker_init``), and measure that.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn ({server.name}) exited:\n{server.log_tail()}")
        # The master listens before its worker has booted, so on a busy machine the first
        # request can wait in the backlog past its timeout; that is not yet a failure.
        with suppress(requests.ConnectionError, requests.Timeout):
            if server.get("/livez", timeout=1).status_code == 200 and server.ready(workers):
                return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn ({server.name}) did not answer in {timeout}s")
