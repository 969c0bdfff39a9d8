"""What the figures depend on: the machine, the library versions, wrk, the commit."""

from __future__ import annotations

import os
import platform
import subprocess
from contextlib import suppress
from importlib import metadata
from pathlib import Path
from typing import Any

from servers import PROJECT_ROOT

LIBRARIES = ("gunicorn", "flask", "flask-limiter", "limits", "sqlalchemy", "bcrypt")


def machine_info(wrk: str, plan: tuple[int, int] | None) -> dict[str, Any]:
    """The machine, the versions, the commit and the CPU pinning, as the report records them."""
    wrk_version = subprocess.run(
        [wrk, "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {name: metadata.version(name) for name in LIBRARIES},
        "wrk": wrk_version[0] if wrk_version else None,
        "git_commit": git_commit(),
        "pinning": {"server_cpu": plan[0], "wrk_cpu": plan[1]} if plan else None,
        "load_average_at_start": os.getloadavg(),
    }


def cpu_model() -> str | None:
    """The CPU model name from /proc/cpuinfo, when there is one."""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def git_commit() -> str | None:
    """The checked-out commit, with ``-dirty`` when the tree has changes."""
    try:
        commit = git("rev-parse", "HEAD")
        status = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{commit}-dirty" if status else commit


def git(*arguments: str) -> str:
    """The output of a git command run in the project, stripped."""
    return subprocess.run(
        ["git", *arguments], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
