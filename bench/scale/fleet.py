"""Four gunicorn workers on PostgreSQL + Redis with the app's real budgets, read in /proc."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import requests
from fixtures import KEY_PREFIX, SECRET_KEY
from servers import PROJECT_ROOT, Server, free_port, wait_until_serving

WORKERS = 4


def start_fleet(database_url: str, redis_url: str, workdir: Path) -> Server:
    """Gunicorn with the production config and ``WORKERS`` workers, real budgets."""
    port = free_port()
    log_path = workdir / "gunicorn-scale.log"
    env = {
        **os.environ,
        "FLASK_SQLALCHEMY_DATABASE_URI": database_url,
        "FLASK_SECRET_KEY": SECRET_KEY,
        "FLASK_RATELIMIT_STORAGE_URI": redis_url,
        "FLASK_RATELIMIT_KEY_PREFIX": KEY_PREFIX,
        # wrk sends the console pages over plain HTTP.
        "FLASK_SESSION_COOKIE_SECURE": "false",
    }
    command = [sys.executable, "-m", "gunicorn", "wsgi:app",
               "--config", str(PROJECT_ROOT / "gunicorn.conf.py"),
               "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"]  # fmt: skip
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = Server("scale", f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_serving(server, WORKERS, timeout=60)
    except BaseException:
        server.stop()
        raise
    return server


def worker_pids(server: Server) -> list[int]:
    """The master's children."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == server.process.pid:
                    pids.append(int(entry.name))
    return sorted(pids)


def fleet_cpu_seconds(server: Server) -> float:
    """CPU time (user + system) all workers have used so far."""
    total = 0.0
    for pid in worker_pids(server):
        with suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def worker_rss_mib(server: Server) -> list[float]:
    """Each worker's resident memory (VmRSS), MiB."""
    sizes = []
    for pid in worker_pids(server):
        with suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text()
            found = re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE)
            if found:
                sizes.append(round(int(found.group(1)) / 1024, 1))
    return sizes


def sign_in(server: Server, email: str, password: str) -> str:
    """Sign in through the login form; the Cookie header of the signed-in session."""
    for _ in range(5):  # password checks are one a second fleet-wide: wait out a 429
        session = requests.Session()
        page = session.get(f"{server.url}/en/login", timeout=30).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise RuntimeError("no CSRF token on the login page")
        answer = session.post(
            f"{server.url}/en/login",
            data={"email": email, "password": password, "csrf_token": token.group(1)},
            timeout=30,
            allow_redirects=False,
        )
        if answer.status_code != 429:
            break
        time.sleep(int(answer.headers.get("Retry-After", "1")))
    if answer.status_code not in (302, 303):
        raise RuntimeError(
            f"signing in as {email} answered {answer.status_code} {answer.headers.get('Location')}"
        )
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())
