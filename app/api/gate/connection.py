"""One Redis connection per thread for ``admit.lua``, outside redis-py's pool.

Every API request runs the script once; checking a connection out of redis-py's pool and
running the command through the client costs more CPU than the round trip itself
(TODO(bench): figure). Each thread keeps one connection made from the pool's own
settings and runs EVALSHA on it directly. The one check that matters is kept, as the pool
makes it: a connection the server closed (a restart, an idle timeout) or that holds stray
data is reconnected before the script is sent, never after, so a request is never counted
twice.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from redis import ConnectionPool
from redis.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError


class ThreadConnections:
    """The calling thread's own connection to one pool's Redis."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._local = threading.local()
        # Connections a forked child inherited from its parent: kept, never used or closed.
        self._inherited: list[AbstractConnection] = []

    def run_script(self, text: str, sha: str, keys: list[str], args: list[Any]) -> Any:
        """EVALSHA ``sha`` (EVAL ``text`` when Redis does not know it yet); its reply."""
        connection = self._ready()
        try:
            connection.send_command("EVALSHA", sha, len(keys), *keys, *args)
            try:
                return connection.read_response()
            except NoScriptError:
                # A Redis that does not know the script (first use, a restart, SCRIPT
                # FLUSH) ran nothing: EVAL runs and caches it.
                connection.send_command("EVAL", text, len(keys), *keys, *args)
                return connection.read_response()
        except BaseException:
            # Whatever was half read must not meet the next request: start afresh.
            connection.disconnect()
            raise

    def _ready(self) -> AbstractConnection:
        held = getattr(self._local, "held", None)
        if held is None or held[0] != os.getpid():
            if held is not None:
                self._inherited.append(held[1])
            # Made from the pool's settings but not counted by it: the pool never gets it
            # back, and it must not use up the pool's max_connections.
            held = (os.getpid(), self._pool.connection_class(**self._pool.connection_kwargs))
            self._local.held = held
        connection = held[1]
        try:
            if connection.can_read():  # connects first when not connected
                connection.disconnect()  # end-of-file or a stray reply: reconnect on send
        except (RedisConnectionError, RedisTimeoutError, OSError):
            connection.disconnect()  # the send that follows connects again, or fails
        return connection
