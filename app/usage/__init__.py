"""Per-key usage: counted in each process's memory, written in batches that add up.

Each process writes its counts every ``USAGE_FLUSH_SECONDS`` and at a clean exit, as
upserts that add, so workers and hosts sum correctly; a crash loses one interval at most.
Bound: ``MAX_PENDING`` (key, day) counts; reaching it wakes the writer early, and while the
database does not answer, counts past twice that are dropped (with a warning), not kept.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime

from flask import Flask

log = logging.getLogger(__name__)

REFUSED = (401, 403, 429)
MAX_PENDING = 5_000  # (key, day) counts held between writes, about 200 bytes each


class UsageCounter:
    """Counts per (key, day) in memory; a thread of each process writes them out."""

    def __init__(self, write: Callable[[dict[tuple[int, date], list[int]]], None], every: float):
        self._write = write
        self.every = every
        self._counts: defaultdict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
        self._lock = threading.Lock()
        self._flusher_pid: int | None = None
        self._wake = threading.Event()
        self._due = threading.Event()

    def count(self, key_pk: int, status: int) -> None:
        """Count one request that presented ``key_pk`` and was answered ``status``."""
        day = datetime.now(UTC).date()
        with self._lock:
            held = len(self._counts)
            if held >= 2 * MAX_PENDING and (key_pk, day) not in self._counts:
                return  # the database has been away for a while: the bound wins
            counts = self._counts[(key_pk, day)]
            counts[0] += 1
            if status in REFUSED:
                counts[1] += 1
            full = held >= MAX_PENDING
        if self._flusher_pid != os.getpid():
            self.start()
        if full:
            self._due.set()  # the writer writes now, not at the end of its interval

    def __len__(self) -> int:
        """How many (key, day) counts wait for the next write."""
        return len(self._counts)

    def flush(self) -> bool:
        """Write what was counted so far (kept for the next try if the write fails).

        False when the write failed.
        """
        with self._lock:
            counts, self._counts = self._counts, defaultdict(lambda: [0, 0])
        if not counts:
            return True
        try:
            self._write(dict(counts))
            return True
        except Exception:  # the database is away: keep the counts, try again next time
            log.warning("could not write key usage; keeping it for the next try", exc_info=True)
            with self._lock:
                for key, (requests, refused) in counts.items():
                    if len(self._counts) >= 2 * MAX_PENDING and key not in self._counts:
                        log.warning("key usage over its bound while unwritten; dropping some")
                        break
                    self._counts[key][0] += requests
                    self._counts[key][1] += refused
            return False

    def close(self) -> None:
        """Write what is left and stop this process's writer (an app being thrown away)."""
        self._wake.set()
        self._due.set()
        self.flush()
        atexit.unregister(self.flush)

    def start(self) -> None:
        """Start this process's writer, a thread of its own, unless it runs already.

        A forked worker starts one on first use; gunicorn starts it before the first
        request (app/api/key_hook.py, ``warm_up``), which then need not wait for a thread.
        """
        with self._lock:
            if self._flusher_pid == os.getpid():
                return
            self._flusher_pid = os.getpid()
            self._wake = threading.Event()
            self._due = threading.Event()
        thread = threading.Thread(target=self._run, name="usage-flusher", daemon=True)
        thread.start()

    def _run(self) -> None:
        wake, due = self._wake, self._due
        while not wake.is_set():
            due.wait(self.every)
            due.clear()
            if not wake.is_set() and not self.flush():
                wake.wait(self.every)  # a failed write: the next try after a whole interval


def init_app(app: Flask) -> None:
    """Make the app's usage counter and write its counts when the process exits."""
    from app.usage import store

    def write(counts: dict[tuple[int, date], list[int]]) -> None:
        with app.app_context():
            store.add_counts(counts)

    counter = UsageCounter(write, float(app.config["USAGE_FLUSH_SECONDS"]))
    app.extensions["usage_counter"] = counter
    atexit.register(counter.flush)
