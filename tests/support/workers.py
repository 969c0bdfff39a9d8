"""Which parallel worker this process is (pytest-xdist), for what the workers must not share.

Each worker is a process of its own with its own temporary folder, SQLite files, PostgreSQL
database and Redis key prefix (each named after the process); ports come from a range, so
each worker takes its own slice of it.
"""

from __future__ import annotations

import os


def name() -> str:
    """The name of the worker running this process (``gw0``, ``gw1``...), or ``main``."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def share(values: range) -> range:
    """The running worker's slice of ``values``: the workers' slices never overlap."""
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    number = int(name().removeprefix("gw")) if name().startswith("gw") else 0
    return values[number::count]
