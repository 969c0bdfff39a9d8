"""Secrets the server must read back (TOTP secrets), sealed at rest under ``SECRET_KEY``.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``), with a key derived from
``SECRET_KEY`` by HKDF for this use only: a database dump alone yields no second factor.
Secrets sealed under a key in ``SECRET_KEY_FALLBACKS`` still open during a rotation; drop a
fallback only after its users have signed in (each sign-in reseals under the current key),
or reset their second factor (``flask users reset-two-factor``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"chameleon sealed secrets"


class SealBroken(ValueError):
    """A sealed value that no configured key opens (the secret key changed without fallback)."""


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


class Sealer:
    """Seal with the current ``SECRET_KEY``; open with it or any fallback."""

    def __init__(self, secret_key: str, fallbacks: Iterable[str] = ()) -> None:
        self._current = _fernet(secret_key)
        self._keys = MultiFernet([self._current, *(_fernet(key) for key in fallbacks)])

    def seal(self, text: str) -> str:
        """``text`` encrypted and authenticated, as ASCII."""
        return self._keys.encrypt(text.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        """The text inside ``sealed``, or raise ``SealBroken``."""
        try:
            return self._keys.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise SealBroken("sealed with a key no longer configured") from None

    def is_current(self, sealed: str) -> bool:
        """Whether ``sealed`` was sealed under the current key (not a fallback)."""
        try:
            self._current.decrypt(sealed.encode("ascii"))
        except (InvalidToken, ValueError):
            return False
        return True

    def reseal(self, sealed: str) -> str:
        """``sealed`` sealed again under the current key (after a rotation)."""
        try:
            return self._keys.rotate(sealed.encode("ascii")).decode("ascii")
        except (InvalidToken, ValueError):
            raise SealBroken("sealed with a key no longer configured") from None
