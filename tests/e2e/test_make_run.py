"""``make run``: the commands it runs, on a database of the test's own.

The commands are read from the Makefile (``make -n``), everything but the install, so the
test serves exactly what ``make run`` serves: it prints the first admin's password once,
never writes a key to its output, even one put in a URL, and stops cleanly on Ctrl-C.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from e2e_support import SQLITE_ONLY, TIMEOUT, key_header

from app import PROJECT_ROOT

from support.servers import LiveServer, free_port, wait_until_serving

pytestmark = [pytest.mark.gunicorn, SQLITE_ONLY]

VENV = Path(sys.prefix)  # the environment running the tests, which make run would create


def make_run_commands(port: int) -> list[list[str]]:
    """What ``make run PORT=port`` runs once the venv is installed, one command a line."""
    if shutil.which("make") is None:
        pytest.skip("needs make")
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", f"{VENV}/.installed", "run",
         f"VENV={VENV}", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [shlex.split(line) for line in result.stdout.splitlines() if line.strip()]


SHUTDOWN_TIMEOUT = 45  # gunicorn's graceful timeout of 30 s, and a margin


def test_make_run_prints_the_first_password_and_never_a_key(database_url, factory, tmp_path):
    port = free_port()
    *setup, serve = make_run_commands(port)
    environment = {
        **os.environ,
        "FLASK_SQLALCHEMY_DATABASE_URI": database_url,
        "FLASK_SECRET_KEY": "make run secret",
        "FLASK_BCRYPT_ROUNDS": "4",
    }
    output = ""
    for command in setup:  # the schema upgrade, then the first admin
        done = subprocess.run(
            command, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, check=True
        )
        output += done.stdout + done.stderr
    assert output.count("password: ") == 1, output
    _, key = factory.key(factory.user())

    log_path = tmp_path / "make-run.log"
    with log_path.open("wb") as log:
        # A session of its own, as a terminal's foreground job: Ctrl-C reaches every process.
        process = subprocess.Popen(
            serve, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=log,
            start_new_session=True,
        )  # fmt: skip
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_serving(server)
        with requests.Session() as http:
            for path, expected in [(f"/api/me?api_key={key}", 200), (f"/{key}", 404)]:
                response = http.get(server.url + path, headers=key_header(key), timeout=TIMEOUT)
                assert response.status_code == expected, path
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
        # Ctrl-C ends make run within gunicorn's graceful timeout (30 s), the bound the
        # master keeps for a worker that is slow to exit; on a loaded machine one
        # sometimes is.
        exit_code = process.wait(SHUTDOWN_TIMEOUT)
    finally:
        if process.poll() is None:  # it ignored Ctrl-C: its workers go with it
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    output += server.log()

    assert key not in output and key[16:48] not in output, output[-3000:]
    assert '"GET /api/me HTTP/1.1" 200 ' in output, output[-3000:]
    assert '"GET /ck_[redacted] HTTP/1.1" 404 ' in output, output[-3000:]
    assert exit_code == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
