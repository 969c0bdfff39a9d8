"""The moving window's hit and window read in Redis: one script, one round trip.

limits runs two Lua scripts for a hit and a window read (``acquire_moving_window`` and
``moving_window``), and each API request needs both. Here the two are joined into one
script, built from limits' own script texts, so it counts and reads exactly as limits
does (tests/test_redis_limits.py checks it against limits' two calls), and it is sent as
one EVALSHA: no pipeline object, no SCRIPT EXISTS, one reply. Sending and reading the
reply are two steps, so that an API request can send its hit, read its key's row while
Redis works, and only then read the reply: two round trips at once, not one after the
other. A hit the row then refuses is withdrawn: the entry it added is removed again.

Each thread keeps one connection of its own for it, as the key read keeps its database
connection (app/keys/lookup.py): checking one out of redis-py's pool costs a pid check, a
lock and its metrics on every request, and the pool would only hand back the same one. The
one check that matters is kept: a connection the server closed (a restart, an idle
timeout) or that holds stray data is reconnected before use, as the pool would.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from limits import RateLimitItem, WindowStats
from limits.storage import RedisStorage
from redis import ConnectionPool, Redis
from redis.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

# limits' two scripts, each the body of a function taking its own KEYS and ARGV (the
# arguments shadow Redis's globals), called one after the other on the same key.
_JOINED = """\
local function acquire(KEYS, ARGV)
{acquire}
end
local function window(KEYS, ARGV)
{window}
end
local acquired = acquire(KEYS, {{ARGV[1], ARGV[2], ARGV[3], ARGV[4]}}) and 1 or 0
local found = window(KEYS, {{ARGV[5], ARGV[6]}})
if found then
    return {{acquired, found[1], found[2]}}
end
return {{acquired}}
"""


def supports(storage: RedisStorage) -> bool:
    """Whether limits' Redis ``storage`` is on a plain client (not a cluster's)."""
    return isinstance(storage.get_connection(), Redis)


@functools.lru_cache(maxsize=4)
def _joined_script(acquire: str | bytes, window: str | bytes) -> tuple[str, str]:
    text = _JOINED.format(acquire=_text(acquire), window=_text(window))
    return text, hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


# Takes one hit back out of a moving window: the entry the acquire script pushed, which is
# its timestamp argument turned into a Lua number, so it is turned the same way here.
_WITHDRAW = "return redis.call('lrem', KEYS[1], 1, tonumber(ARGV[1]))"


def send_hit_and_window(storage: RedisStorage, item: RateLimitItem, key: str) -> SentHit:
    """Send one hit of ``item`` on ``key`` with its window read, without waiting for it.

    Errors are redis-py's (the caller falls back to memory on any). Only sending is
    retried, as the client is configured to (limits' clients are not): a hit sent again
    after its answer was lost could count twice.
    """
    text, sha = _joined_script(
        storage.lua_acquire_moving_window.script, storage.lua_moving_window.script
    )
    expiry = item.get_expiry()
    now = time.time()
    args = (storage.prefixed_key(key), now, item.amount, expiry, 1, now - expiry, item.amount)
    connection = _connection(storage.get_connection().connection_pool)
    try:
        _make_ready(connection)
        connection.retry.call_with_retry(
            lambda: connection.send_command("EVALSHA", sha, 1, *args),
            lambda _error: connection.disconnect(),
        )
    except BaseException:
        connection.disconnect()
        raise
    return SentHit(connection, text, args, item.amount, expiry)


def hit_and_window(
    storage: RedisStorage, item: RateLimitItem, key: str
) -> tuple[bool, WindowStats]:
    """Count one hit of ``item`` on ``key`` and read its window, in one Redis call."""
    return send_hit_and_window(storage, item, key).answer()


class SentHit:
    """A hit sent on this thread's connection: read its ``answer``, or ``withdraw`` it.

    One of the two must be called before this thread sends anything else to this Redis:
    the caller can wait for something else in the meantime (app/api/auth.py reads the
    key's row), but the connection holds an answer nobody has read until then.
    """

    __slots__ = ("_amount", "_args", "_connection", "_expiry", "_text")

    def __init__(
        self, connection: AbstractConnection, text: str, args: tuple, amount: int, expiry: int
    ) -> None:
        self._connection = connection
        self._text = text
        self._args = args
        self._amount = amount
        self._expiry = expiry

    def answer(self) -> tuple[bool, WindowStats]:
        """Whether the hit was within the limit, and the window after it."""
        reply = self._guarded(lambda: _read_reply(self._connection, self._text, self._args))
        if len(reply) == 1:  # an empty window
            now = self._args[1]
            return bool(reply[0]), WindowStats(now + self._expiry, self._amount)
        acquired, oldest, count = reply
        return bool(acquired), WindowStats(float(oldest) + self._expiry, self._amount - int(count))

    def withdraw(self) -> None:
        """Read the answer and, if the hit was counted, take it back out of the window."""
        acquired, _ = self.answer()
        if acquired:
            self._guarded(self._take_back)

    def _take_back(self) -> None:
        key, now = self._args[:2]
        self._connection.send_command("EVAL", _WITHDRAW, 1, key, now)
        self._connection.read_response()

    def _guarded(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except BaseException:
            # Whatever was half read must not meet the next request: it starts on a fresh
            # connection (redis-py reconnects on the next send).
            self._connection.disconnect()
            raise


_held = threading.local()
# Connections a forked child inherited from its parent: kept referenced and never used.
_inherited: list[AbstractConnection] = []


def _connection(pool: ConnectionPool) -> AbstractConnection:
    """The calling thread's own connection to ``pool``'s Redis, made on first use."""
    connections = getattr(_held, "connections", None)
    if connections is None:
        connections = _held.connections = weakref.WeakKeyDictionary()
    held = connections.get(pool)
    if held is None or held[0] != os.getpid():
        if held is not None:
            _inherited.append(held[1])
        # Made from the pool's settings but not counted by it: the pool never gets it
        # back, and it must not use up the pool's max_connections.
        connection = pool.connection_class(**pool.connection_kwargs)
        held = connections[pool] = (os.getpid(), connection)
    return held[1]


def _make_ready(connection: AbstractConnection) -> None:
    """Reconnect a connection the server closed or that holds unread data.

    What redis-py's pool checks before handing out a connection: a readable socket before
    anything was sent means end-of-file or a stray reply. Sending the script again after a
    failure could count a hit twice; checking first cannot.
    """
    try:
        if connection.can_read():  # connects first when not connected
            connection.disconnect()
    except (RedisConnectionError, RedisTimeoutError, OSError):
        connection.disconnect()  # the send that follows connects again, or fails


def _text(script: str | bytes) -> str:
    # redis-py keeps a registered script as it was given; limits gives it bytes.
    return script.decode() if isinstance(script, bytes) else script


def _read_reply(connection: AbstractConnection, text: str, args: tuple) -> list:
    try:
        return connection.read_response()
    except NoScriptError:
        # This Redis does not know the script yet (first use, a restart, SCRIPT FLUSH):
        # EVAL runs it once and caches it, so the next request's EVALSHA finds it.
        connection.send_command("EVAL", text, 1, *args)
        return connection.read_response()
