"""gunicorn.conf.py: safe defaults, and no unshared rate limits across workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app import PROJECT_ROOT

pytestmark = pytest.mark.gunicorn


def gunicorn_command(*flags: str) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "wsgi:app", "--config", "gunicorn.conf.py", *flags]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_several_workers_with_memory_limits_are_refused(database_url):
    environment = {
        **os.environ,
        "FLASK_SQLALCHEMY_DATABASE_URI": database_url,
        "FLASK_SECRET_KEY": "x",
        "FLASK_RATELIMIT_STORAGE_URI": "memory://",
    }
    result = subprocess.run(
        gunicorn_command("--workers", "3", "--bind", "127.0.0.1:0"),
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "FLASK_RATELIMIT_STORAGE_URI" in result.stderr + result.stdout


def test_defaults_read_from_the_environment():
    """The settings gunicorn would use, as the config file computes them."""
    script = (
        "import runpy, json; c = runpy.run_path('gunicorn.conf.py'); "
        "print(json.dumps({k: c[k] for k in ('bind', 'workers', 'forwarded_allow_ips', "
        "'access_log_format', 'graceful_timeout')}))"
    )

    def settings(**env):
        environment = {
            k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "GUNICORN_", "WEB_"))
        }
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=PROJECT_ROOT,
            env={**environment, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout)

    plain = settings()
    assert plain["workers"] == 1  # memory:// limits: one process
    assert plain["bind"] == "127.0.0.1:8000"
    assert plain["forwarded_allow_ips"] == ""  # no proxy is believed by default
    assert "%(U)s" in plain["access_log_format"]  # the path, never the query string
    assert "%({" not in plain["access_log_format"]  # and no header value

    shared = settings(FLASK_RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")
    assert shared["workers"] == (os.cpu_count() or 1) * 2 + 1
    proxied = settings(FLASK_TRUSTED_PROXY_COUNT="1", WEB_CONCURRENCY="4")
    assert proxied["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert proxied["workers"] == 4
