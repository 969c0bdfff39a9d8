"""GitHub's side of secret scanning, for tests: a key pair, and reports signed as GitHub signs.

GitHub signs the raw body of each report with ECDSA P-256 and SHA-256, and sends the DER
signature in base64 in ``GITHUB-PUBLIC-KEY-SIGNATURE`` beside the key's identifier.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


@dataclass
class Signer:
    """A P-256 key pair made for the test, and its identifier."""

    identifier: str = "test-key-1"
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    @property
    def pem(self) -> str:
        """The public key as GitHub publishes it (PEM)."""
        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )

    def config(self) -> dict:
        """``SECRET_SCANNING_PUBLIC_KEYS`` trusting this key."""
        return {self.identifier: self.pem}

    def headers(self, body: bytes) -> dict[str, str]:
        """The headers GitHub sends with ``body``."""
        signature = self.private_key.sign(body, ec.ECDSA(hashes.SHA256()))
        return {
            "GITHUB-PUBLIC-KEY-IDENTIFIER": self.identifier,
            "GITHUB-PUBLIC-KEY-SIGNATURE": base64.b64encode(signature).decode("ascii"),
            "Content-Type": "application/json",
        }


def report(*tokens: str, url: str = "https://github.com/octo/repo/blob/main/app.py") -> bytes:
    """A report body as GitHub sends it, one item per token."""
    items = [
        {"token": token, "type": "chameleon_api_key", "url": url, "source": "content"}
        for token in tokens
    ]
    return json.dumps(items).encode()
