"""Time and peak memory of the long commands: audit verify, audit export, the usage sweep.

Each runs as its own process, which reports its own peak resident memory (``VmHWM`` in
/proc/self/status) as it exits. The kernel's ``ru_maxrss`` of a child will not do: a
child starts as a copy of this process (vfork, then exec), and its ``ru_maxrss`` counts
that copy too, so it reported this process's size (the data set it built), not the
command's: the same figure for all three commands, growing with the data set.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fixtures import KEY_PREFIX, SECRET_KEY
from servers import PROJECT_ROOT

# Runs a command's code, then writes the process's peak resident memory (KiB) to PEAK_FILE.
MEASURED = (
    "import atexit, os, sys\n"
    "def peak():\n"
    "    with open('/proc/self/status') as status:\n"
    "        kib = next(line.split()[1] for line in status if line.startswith('VmHWM:'))\n"
    "    with open(os.environ['PEAK_FILE'], 'w') as out:\n"
    "        out.write(kib)\n"
    "atexit.register(peak)\n"
)
SWEEP = (
    "from wsgi import app\n"
    "from app.usage import store\n"
    "with app.app_context(): print(store.prune_old_days())\n"
)
COMMANDS = {
    "audit verify": "from flask.cli import main\nmain()\n",
    "audit export": "from flask.cli import main\nmain()\n",
    "usage retention sweep": SWEEP,
}
ARGUMENTS = {
    "audit verify": ["--app", "wsgi", "audit", "verify"],
    "audit export": ["--app", "wsgi", "audit", "export"],
    "usage retention sweep": [],
}


def measure_commands(database_url: str, redis_url: str) -> dict[str, dict[str, float]]:
    """Each command's wall time (s) and peak resident memory (MiB), run as its own process."""
    results = {}
    with tempfile.TemporaryDirectory() as work:
        env = {
            **os.environ,
            "FLASK_SQLALCHEMY_DATABASE_URI": database_url,
            "FLASK_SECRET_KEY": SECRET_KEY,
            "FLASK_RATELIMIT_STORAGE_URI": redis_url,
            "FLASK_RATELIMIT_KEY_PREFIX": KEY_PREFIX,
            "PEAK_FILE": str(Path(work) / "peak"),
        }
        for name, code in COMMANDS.items():
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-c", MEASURED + code, *ARGUMENTS[name]], cwd=PROJECT_ROOT,
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                errors = done.stderr.decode(errors="replace")
                raise RuntimeError(f"{name} failed ({done.returncode}):\n{errors[-2000:]}")
            results[name] = {
                "seconds": round(time.monotonic() - started, 2),
                "peak_mib": round(int(Path(env["PEAK_FILE"]).read_text()) / 1024, 1),
            }
    return results
