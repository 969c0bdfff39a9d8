"""The key format: ``ck_<key id>_<secret><checksum>``, 54 characters of ``[A-Za-z0-9_]``.

The key id is public and finds the row; the secret (190 bits) proves possession; the CRC32
checksum turns away a mistyped or invented key before any database read or bcrypt check.
"""

from __future__ import annotations

import re
import secrets
import string
import zlib
from typing import NamedTuple

# Says what the string is, so secret scanners can find a leaked key.
KEY_PREFIX = "ck_"
# Letters and digits only: a double-click selects the whole key.
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
KEY_ID_LENGTH = 12
SECRET_LENGTH = 32
CHECKSUM_LENGTH = 6
# Well within the 72 bytes bcrypt reads.
KEY_LENGTH = len(KEY_PREFIX) + KEY_ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH
# What the console and the API show instead of the key: the prefix and part of the key id.
DISPLAY_PREFIX_LENGTH = len(KEY_PREFIX) + 8

_KEY_PATTERN = re.compile(
    rf"ck_(?P<key_id>[0-9A-Za-z]{{{KEY_ID_LENGTH}}})_[0-9A-Za-z]{{{SECRET_LENGTH}}}"
    rf"(?P<checksum>[0-9A-Za-z]{{{CHECKSUM_LENGTH}}})"
)
_KEY_ID_PATTERN = re.compile(rf"[0-9A-Za-z]{{{KEY_ID_LENGTH}}}")
# What stands in for a key wherever one turns up where no key belongs (as in the logs).
REDACTED = "ck_[redacted]"
# Anything that carries part of a key's secret: a key id and its "_" followed by anything,
# or a long run of key characters after "ck_" (a key with its "_" mistyped). Whole, cut
# short or glued to a word; checksum or not. "ck_" and a short word is left alone.
_KEY_SHAPED = re.compile(
    rf"ck_(?:[0-9A-Za-z]{{{KEY_ID_LENGTH}}}_[0-9A-Za-z_]*|[0-9A-Za-z_]{{{SECRET_LENGTH},}})"
)


class NewKey(NamedTuple):
    """A freshly generated key: the full value (shown once) and what may be stored."""

    value: str
    key_id: str
    prefix: str


class ParsedKey(NamedTuple):
    """A presented key whose shape and checksum are right."""

    value: str
    key_id: str


def _random_base62(length: int) -> str:
    return "".join(secrets.choice(BASE62) for _ in range(length))


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(BASE62[digit])
    return "".join(reversed(digits))


def checksum(body: str) -> str:
    """The base62 CRC32 of ``body`` (the key up to its checksum), 6 characters wide."""
    return _base62(zlib.crc32(body.encode("ascii")), CHECKSUM_LENGTH)


def generate_key() -> NewKey:
    """Make a new key with a fresh key id and secret."""
    key_id = _random_base62(KEY_ID_LENGTH)
    body = f"{KEY_PREFIX}{key_id}_{_random_base62(SECRET_LENGTH)}"
    value = body + checksum(body)
    return NewKey(value=value, key_id=key_id, prefix=value[:DISPLAY_PREFIX_LENGTH])


def parse_key(presented: str) -> ParsedKey | None:
    """Return the key id of a well-formed key with a valid checksum, or None.

    Anything else (wrong length, non-ASCII, NUL, a typo) is None, without raising.
    """
    if len(presented) != KEY_LENGTH:
        return None
    match = _KEY_PATTERN.fullmatch(presented)
    if match is None:
        return None
    body = presented[:-CHECKSUM_LENGTH]
    if not secrets.compare_digest(checksum(body), match["checksum"]):
        return None
    return ParsedKey(value=presented, key_id=match["key_id"])


def key_id_of(key: str) -> str:
    """The key id inside ``key``, a key that ``parse_key`` accepted (no check is repeated)."""
    return key[len(KEY_PREFIX) : len(KEY_PREFIX) + KEY_ID_LENGTH]


def is_key_id(candidate: str) -> bool:
    """Whether ``candidate`` could be a key id (so it is safe to look up)."""
    return _KEY_ID_PATTERN.fullmatch(candidate) is not None


def redact_keys(text: str) -> str:
    """``text`` with anything shaped like a key, or part of one, as ``ck_[redacted]``.

    For what people type or send where no key belongs (an email field, a user agent),
    before it is stored or shown.
    """
    if "ck_" not in text:
        return text  # the common case, without a regular expression
    return _KEY_SHAPED.sub(REDACTED, text)
