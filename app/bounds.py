"""Every structure a process keeps per caller (key, key id, user, address), with its cap.

One place to read what a worker can hold however many callers it meets; each structure's
own module says the same bound in one line where it is defined. tests/test_memory_bounds.py
checks that every ``functools`` cache in ``app/`` is listed here with its ``maxsize`` (or
takes no caller's input), and that 200,000 distinct callers leave each structure at its cap
and a worker less than 20 MB larger than 100 callers do.
"""

from __future__ import annotations

from typing import NamedTuple

from app.api.gate.local import MAX_TOUCHED
from app.auth.session_names import SESSION_NAMES_CACHED
from app.i18n.formatting import MAX_TIMESTAMPS_CACHED
from app.keys.allowed_networks import NETWORK_LISTS_CACHED
from app.keys.permissions import PERMISSIONS_CACHED
from app.keys.unknown import MAX_UNKNOWN_IDS
from app.ratelimit import RATE_LIMITS_CACHED
from app.ratelimit.windows import MAX_WINDOWS
from app.usage import MAX_PENDING
from app.usage.networks import MAX_NETWORKS_CACHED, MAX_REMEMBERED


class Bound(NamedTuple):
    """A per-process structure (by its dotted name), its cap, and what the cap counts."""

    name: str
    cap: int
    counts: str


BOUNDS = (
    Bound("app.ratelimit.windows.MovingWindows", MAX_WINDOWS, "budget windows per length"),
    Bound("app.usage.UsageCounter", 2 * MAX_PENDING, "(key, day) counts between writes"),
    Bound("app.usage.networks.network_of", MAX_NETWORKS_CACHED, "addresses' networks"),
    Bound("app.usage.networks.NetworkWatch", MAX_REMEMBERED, "(key, network) pairs seen"),
    Bound("app.keys.unknown.UnknownKeyIds", MAX_UNKNOWN_IDS, "unknown key ids, a minute each"),
    Bound("app.api.gate.local.TouchSchedule", MAX_TOUCHED, "keys' next 'last used' write"),
    Bound("app.auth.session_names._families", SESSION_NAMES_CACHED, "user agents parsed"),
    Bound("app.ratelimit.parse_rate_limit", RATE_LIMITS_CACHED, "limit strings parsed"),
    Bound("app.keys.allowed_networks._networks", NETWORK_LISTS_CACHED, "network lists parsed"),
    Bound(
        "app.keys.allowed_networks.from_script", NETWORK_LISTS_CACHED, "network lists from Redis"
    ),
    Bound("app.keys.permissions.levels", PERMISSIONS_CACHED, "permission strings parsed"),
    Bound("app.i18n.formatting._formatted", MAX_TIMESTAMPS_CACHED, "timestamps formatted"),
)

# ``functools`` caches with no maxsize: their arguments come from the code, never a caller.
FIXED_ARGUMENT_CACHES = (
    "app.hashing.dummy_hash",  # one entry per bcrypt cost in the config
    "app.accounts.passwords._common_passwords",  # the vendored list, loaded once
    "app.accounts.emails._prototypes",  # the vendored confusables, loaded once
    "app.metrics.labelled",  # one entry per metric and label values: closed sets, by design
    "app.i18n.zones.known_zones",  # the zone names, read once
)

# Not capped in count, and why that is bounded all the same.
BOUNDED_OTHERWISE = (
    # Mail waiting for its thread: only what the sign-in and mail budgets let through.
    "app.mail.courier.Courier",
    # Flask-Limiter's memory:// storage for route limits (one process, development only):
    # limits expires each entry with its window.
    "limits.storage.MemoryStorage",
)
