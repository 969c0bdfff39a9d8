"""Password rules: long enough, short enough for bcrypt, not the email, not a common one.

The common list is the first 10,000 entries of Django's (``data/README.md`` says where it
comes from), matched as Django matches it: lower-cased and stripped.
"""

from __future__ import annotations

import functools
import secrets
import unicodedata
from importlib import resources

from app.accounts import messages
from app.accounts.messages import AccountRefused
from app.hashing import BCRYPT_MAX_BYTES

MIN_PASSWORD_LENGTH = 8
# A shorter name ("al", "jo") is in too many good passwords to refuse them all.
MIN_LOCAL_PART_LENGTH = 3
# Random bytes in a generated password: 144 bits.
RANDOM_PASSWORD_BYTES = 18


def check_password(password: str | None, *, email: str | None = None) -> bytes:
    """Return the password as UTF-8 bytes, or raise ``AccountRefused`` saying why not.

    Over 72 bytes is refused, never truncated: bcrypt would silently ignore the rest.
    ``email`` (already cleaned) is the account's: its name before the @ is no secret.
    """
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountRefused(messages.PASSWORD_TOO_SHORT % {"minimum": MIN_PASSWORD_LENGTH})
    if "\x00" in password:
        raise AccountRefused(messages.PASSWORD_HAS_NUL)
    encoded = password.encode("utf-8", errors="surrogatepass")
    if len(encoded) > BCRYPT_MAX_BYTES:
        raise AccountRefused(
            messages.PASSWORD_TOO_LONG % {"maximum": BCRYPT_MAX_BYTES, "length": len(encoded)}
        )
    if email is not None and contains_email(password, email):
        raise AccountRefused(messages.PASSWORD_CONTAINS_EMAIL)
    if is_common(password):
        raise AccountRefused(messages.PASSWORD_TOO_COMMON)
    return encoded


def contains_email(password: str, email: str) -> bool:
    """Whether ``password`` contains ``email``, or its local part, in any case."""
    folded = _fold(password)
    local_part = _fold(email.rpartition("@")[0])
    if _fold(email) in folded:
        return True
    return len(local_part) >= MIN_LOCAL_PART_LENGTH and local_part in folded


def is_common(password: str) -> bool:
    """Whether ``password`` is among the 10,000 commonest (Django's check)."""
    return password.lower().strip() in _common_passwords()


def random_password(email: str) -> str:
    """A random password that the rules accept for ``email``."""
    while True:
        password = secrets.token_urlsafe(RANDOM_PASSWORD_BYTES)
        # Random text might contain a short email's name; one in a million, but never refuse.
        if not contains_email(password, email) and not is_common(password):
            return password


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@functools.cache
def _common_passwords() -> frozenset[str]:
    # Loaded on first use (about 80 KB), then kept for the life of the process.
    text = resources.files("app.accounts").joinpath("data/common-passwords.txt")
    return frozenset(line for line in text.read_text(encoding="utf-8").splitlines() if line)
