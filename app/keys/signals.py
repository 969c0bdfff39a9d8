"""Changes to a key or a user that whatever admits API requests must hear about.

These are blinker signals, and blinker stays in one process: each app has its own, and a
change reaches other processes only through what a receiver writes to storage they share
(the Redis gate's tombstones, app/api/gate/records.py; sessions in the database).

- ``key_changing``, ``user_changing``: sent inside the change's transaction, before it
  commits. A receiver that raises refuses the change: the transaction rolls back.
- ``key_changed``, ``user_changed``: sent once the change has committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from blinker import NamedSignal, Namespace
from flask import Flask, current_app

from app.keys.lookup import StoreUnavailable

_EXTENSION = "key_signals"


class ChangeNotPassedOn(StoreUnavailable):
    """A receiver could not pass a change on (Redis did not answer): the change was not made."""


class AppSignal:
    """A blinker signal of each app's own, so that two apps in one process never cross."""

    def __init__(self, name: str) -> None:
        self.name = name

    def connect(self, receiver: Callable[..., Any], app: Flask, weak: bool = False) -> None:
        """Call ``receiver(None, **data)`` for each change ``app`` makes."""
        self._of(app.extensions).connect(receiver, weak=weak)

    def send(self, **data: Any) -> None:
        """Tell the current app's receivers, in the order they connected."""
        self._of(current_app.extensions).send(None, **data)

    def _of(self, extensions: dict[str, Any]) -> NamedSignal:
        return extensions.setdefault(_EXTENSION, Namespace()).signal(self.name)


key_changing = AppSignal("key-changing")  # key_id=: revoked, expiry shortened, rotated
user_changing = AppSignal("user-changing")  # user_id=: role or active flag
key_changed = AppSignal("key-changed")  # key_id=, after the commit
user_changed = AppSignal("user-changed")  # user_id=, after the commit


def send_key_changing(key_id: str) -> None:
    """Inside the change's transaction: the key ``key_id`` is changing (may raise)."""
    key_changing.send(key_id=key_id)


def send_user_changing(user_id: int) -> None:
    """Inside the change's transaction: the user ``user_id`` is changing (may raise)."""
    user_changing.send(user_id=user_id)


def send_key_changed(key_id: str) -> None:
    """After the commit: the key ``key_id`` changed."""
    key_changed.send(key_id=key_id)


def send_user_changed(user_id: int) -> None:
    """After the commit: the user ``user_id`` changed."""
    user_changed.send(user_id=user_id)
