"""Which notices a user wants by mail: expiry reminders and new networks can be turned off.

A key found in public and changes to the account always go out: they are not settings.
"""

from __future__ import annotations

from app.database import write_transaction
from app.models import User


def set_notices(user: User, *, expiry: bool, new_network: bool) -> None:
    """Turn the expiry reminders and the new-network notices on or off for ``user``."""
    with write_transaction():
        user.notify_expiry = expiry
        user.notify_new_network = new_network
