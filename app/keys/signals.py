"""Changes that must reach every process that admits API requests, as blinker signals.

Sent by the domain code once a change has committed; the Redis gate listens and replaces
its cached records (app/api/gate/records.py). The sender is the Flask app.
"""

from __future__ import annotations

from blinker import Namespace
from flask import current_app

_signals = Namespace()

key_changed = _signals.signal("key-changed")  # key_id=: revoked, expiry changed, replaced
user_changed = _signals.signal("user-changed")  # user_id=: role or active flag changed


def send_key_changed(key_id: str) -> None:
    """Tell the listeners that the key ``key_id`` changed (after the commit)."""
    key_changed.send(current_app._get_current_object(), key_id=key_id)


def send_user_changed(user_id: int) -> None:
    """Tell the listeners that the user ``user_id`` changed (after the commit)."""
    user_changed.send(current_app._get_current_object(), user_id=user_id)
