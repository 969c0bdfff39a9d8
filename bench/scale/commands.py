"""Time and peak memory of the long commands: audit verify, audit export, the usage sweep."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from fixtures import KEY_PREFIX, SECRET_KEY
from servers import PROJECT_ROOT

SWEEP = (
    "from wsgi import app\n"
    "from app.usage import store\n"
    "with app.app_context(): print(store.prune_old_days())\n"
)
COMMANDS = {
    "audit verify": ["-m", "flask", "--app", "wsgi", "audit", "verify"],
    "audit export": ["-m", "flask", "--app", "wsgi", "audit", "export"],
    "usage retention sweep": ["-c", SWEEP],
}


def measure_commands(database_url: str, redis_url: str) -> dict[str, dict[str, float]]:
    """Each command's wall time (s) and peak resident memory (MiB), run as its own process."""
    env = {
        **os.environ,
        "FLASK_SQLALCHEMY_DATABASE_URI": database_url,
        "FLASK_SECRET_KEY": SECRET_KEY,
        "FLASK_RATELIMIT_STORAGE_URI": redis_url,
        "FLASK_RATELIMIT_KEY_PREFIX": KEY_PREFIX,
    }
    results = {}
    for name, arguments in COMMANDS.items():
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, *arguments], cwd=PROJECT_ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
        if process.returncode != 0:
            raise RuntimeError(f"{name} failed ({process.returncode}):\n{errors[-2000:]}")
        results[name] = {
            "seconds": round(time.monotonic() - started, 2),
            "peak_mib": round(usage.ru_maxrss / 1024, 1),  # ru_maxrss is in KiB on Linux
        }
    return results
