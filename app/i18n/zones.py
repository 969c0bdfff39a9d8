"""The viewer's time zone: the browser names it, every page and fragment shows times in it.

console.js puts the browser's zone (``Intl.DateTimeFormat().resolvedOptions().timeZone``) in
the ``tz`` cookie, so server-rendered pages and htmx fragments alike use it. Without
JavaScript, or with a name no zone has, times are in UTC. Mail is always in UTC: its reader
is not the person whose request sent it.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager

from flask import g, has_request_context, request
from flask_babel import refresh

ZONE_COOKIE = "tz"
DEFAULT_ZONE = "UTC"


@functools.cache
def known_zones() -> frozenset[str]:
    """The zone names a browser may send: Area/Location ones, and UTC.

    zoneinfo also lists names such as ``localtime`` and ``Factory`` that are no place and
    that Flask-Babel's time zone database does not know: those would fail a page.
    """
    return frozenset(
        name for name in zoneinfo.available_timezones() if "/" in name or name == DEFAULT_ZONE
    )


def viewer_zone() -> str:
    """The zone this request's times are shown in: the browser's, if known, else UTC."""
    if not has_request_context() or g.get("times_in_utc"):
        return DEFAULT_ZONE
    name = request.cookies.get(ZONE_COOKIE, "")
    return name if name in known_zones() else DEFAULT_ZONE


@contextmanager
def times_in_utc() -> Iterator[None]:
    """Format times in UTC inside the block (a mail), whatever the request's zone."""
    g.times_in_utc = True
    refresh()  # Flask-Babel keeps the request's zone once asked: ask again
    try:
        yield
    finally:
        g.pop("times_in_utc", None)
        refresh()
