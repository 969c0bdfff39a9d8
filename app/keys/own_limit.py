"""A key's own rate limit, such as ``10 per minute``: never more than its owner's role allows.

A request must fit both the key's own window and its owner's budget (app/api/budget.py).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from limits import RateLimitItem, parse_many

from app.keys.rules import KeyRefused

MAX_LENGTH = 40


class InvalidRateLimit(KeyRefused):
    """A rate limit that does not parse, or allows more than the owner's role."""


def clean_rate_limit(text: str | None, role_limit: str) -> str | None:
    """``text`` tidied (None when blank) if it parses and fits within ``role_limit``."""
    text = " ".join((text or "").split()).lower()
    if not text:
        return None
    try:
        items = parse_many(text) if len(text) <= MAX_LENGTH else []
    except ValueError:
        items = []
    if len(items) != 1 or items[0].amount < 1:
        raise InvalidRateLimit(
            _l(
                "%(text)r is not a rate limit: write a number per second, minute, hour or "
                "day, such as 10 per minute.",
                text=text,
            )
        )
    if _rate(items[0]) > _rate(parse_many(role_limit)[0]):
        raise InvalidRateLimit(
            _l(
                "%(text)s is more than the owner's role allows (%(role_limit)s).",
                text=text,
                role_limit=role_limit,
            )
        )
    return text


def _rate(item: RateLimitItem) -> float:
    return item.amount / item.get_expiry()
