"""The key domain in plain Python: format, hashing, verification, create and revoke.

Nothing in this package reads a Flask request; the blueprints and the request hook call it.
"""

from __future__ import annotations

from flask import Flask, current_app

from app.keys.hmac_verifier import VerifierSecret


def init_app(app: Flask) -> None:
    """Make the app's verifier secret (``KEY_VERIFIER_SECRET``)."""
    app.extensions["verifier_secret"] = VerifierSecret(app.config["KEY_VERIFIER_SECRET"])


def verifier_secret() -> VerifierSecret:
    """The current app's verifier secret."""
    return current_app.extensions["verifier_secret"]
