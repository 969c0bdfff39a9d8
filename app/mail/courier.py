"""One background thread per process that delivers queued mail, in the order it was queued.

A thread does not survive ``fork``, and gunicorn's master imports the app and then forks
its workers: so the thread starts with the first message a process queues (in the worker
that sends), and a forked child begins with an empty queue and no thread
(``os.register_at_fork``). At exit, a process gives what it still has queued up to
``EXIT_WAIT_SECONDS`` (within gunicorn's graceful timeout), then logs what it drops.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable

log = logging.getLogger("app.mail")

# How long an exiting process still waits for its queued mail.
EXIT_WAIT_SECONDS = 10.0


class Courier:
    """Runs queued deliveries on a daemon thread of this process, started on the first."""

    def __init__(self) -> None:
        self.start_afresh()

    def start_afresh(self) -> None:
        """An empty queue and no thread (a forked child's, whatever its parent had)."""
        self._changed = threading.Condition()
        self._jobs: queue.SimpleQueue[tuple[str, Callable[[], object]]] = queue.SimpleQueue()
        self._unsent: list[str] = []  # what is queued or being sent, named for the log
        self._thread: threading.Thread | None = None

    def send(self, label: str, deliver: Callable[[], object]) -> None:
        """Queue ``deliver`` (which logs its own failures); ``label`` names the message."""
        with self._changed:
            self._unsent.append(label)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mail", daemon=True)
                self._thread.start()
        self._jobs.put((label, deliver))

    def _run(self) -> None:
        while True:
            label, deliver = self._jobs.get()
            try:
                deliver()
            except Exception:  # a bug, not a mail server's refusal: the thread must go on
                log.exception("Mail %s could not be sent", label)
            finally:
                with self._changed:
                    self._unsent.remove(label)
                    self._changed.notify_all()

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is queued or being sent; False if ``timeout`` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._unsent, timeout)

    def finish_at_exit(self) -> None:
        """Give queued mail a last chance, then name in the log each message dropped."""
        if self.wait_until_idle(EXIT_WAIT_SECONDS):
            return
        with self._changed:
            dropped = list(self._unsent)
        for label in dropped:
            log.error("Mail %s was not sent: the process exited first", label)


courier = Courier()
os.register_at_fork(after_in_child=courier.start_afresh)
atexit.register(courier.finish_at_exit)
