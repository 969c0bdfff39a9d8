"""The key domain in plain Python: format, hashing, verification, create and revoke.

Nothing in this package reads a Flask request; its operations take their settings (bcrypt
cost, verifier secret, caps) as arguments from the blueprints, the CLI and the request hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from app.keys.hmac_verifier import VerifierSecret


def init_app(app: Flask) -> None:
    """Make the app's verifier secret (``KEY_VERIFIER_SECRET``, with its fallbacks)."""
    # Imported here: the models import this package's enums, so its __init__ imports nothing.
    from app.keys.hmac_verifier import VerifierSecret

    app.extensions["verifier_secret"] = VerifierSecret(
        app.config["KEY_VERIFIER_SECRET"], app.config["KEY_VERIFIER_SECRET_FALLBACKS"]
    )


def verifier_secret(app: Flask) -> VerifierSecret:
    """``app``'s verifier secret, for the operations that make keys."""
    return app.extensions["verifier_secret"]
