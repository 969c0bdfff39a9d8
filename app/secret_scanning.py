"""GitHub secret scanning's signatures: which public keys to trust, and checking a report.

GitHub signs each report to a partner with ECDSA (P-256, SHA-256) over the raw body; the
``GITHUB-PUBLIC-KEY-IDENTIFIER`` header names its key and ``GITHUB-PUBLIC-KEY-SIGNATURE``
holds the DER signature in base64. The keys come from ``SECRET_SCANNING_PUBLIC_KEYS``
(identifier to PEM), copied from the keys GitHub publishes: the server never fetches them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Flask

IDENTIFIER_HEADER = "GITHUB-PUBLIC-KEY-IDENTIFIER"
SIGNATURE_HEADER = "GITHUB-PUBLIC-KEY-SIGNATURE"

PublicKeys = dict[str, ec.EllipticCurvePublicKey]


class NotAKey(ValueError):
    """A configured PEM that is not an ECDSA P-256 public key."""


def load_public_key(pem: str) -> ec.EllipticCurvePublicKey:
    """The P-256 public key in ``pem``; raise ``NotAKey`` for anything else."""
    try:
        key = load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError) as error:
        raise NotAKey("is not a PEM public key") from error
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise NotAKey("is not an ECDSA P-256 public key")
    return key


def load_public_keys(configured: Mapping[str, str]) -> PublicKeys:
    """``SECRET_SCANNING_PUBLIC_KEYS`` loaded (the config check has refused bad ones)."""
    return {identifier: load_public_key(pem) for identifier, pem in configured.items()}


def is_signed(keys: PublicKeys, identifier: str, signature: str, body: bytes) -> bool:
    """Whether ``body`` carries a valid signature by the trusted key ``identifier``."""
    key = keys.get(identifier)
    if key is None or not signature:
        return False
    try:
        der = base64.b64decode(signature, validate=True)
        key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def check_public_keys(value: object) -> str | None:
    """What is wrong with a ``SECRET_SCANNING_PUBLIC_KEYS`` value, or None."""
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()
    ):
        return 'must map each key identifier to a PEM public key: {"id": "-----BEGIN..."}'
    for identifier, pem in value.items():
        try:
            load_public_key(pem)
        except NotAKey as error:
            return f"{identifier!r} {error}"
    return None


def init_app(app: Flask) -> None:
    """Load the trusted keys once (the config check has already refused a bad one)."""
    app.extensions["secret_scanning_keys"] = load_public_keys(
        app.config["SECRET_SCANNING_PUBLIC_KEYS"]
    )
