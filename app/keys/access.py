"""What a key may do, within what its owner's role allows."""

from __future__ import annotations

from enum import StrEnum


class KeyAccess(StrEnum):
    """A key's access; chosen when the key is made, and only ever narrowed after."""

    # Whatever the owner's role allows, now and after any change of role.
    FULL = "full"
    # GET and HEAD only.
    READ = "read"
    # What its permissions say, resource by resource (app/keys/permissions.py).
    RESTRICTED = "restricted"
