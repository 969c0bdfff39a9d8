"""Schemathesis hooks for the live runs (loaded by name through ``SCHEMATHESIS_HOOKS``).

A run must not revoke the key it authenticates with: every later answer would be a 401,
which the document allows, and the run would pass having tested nothing. Schemathesis
learns key ids from answers (``GET /api/keys`` lists the caller's own, the echo names
it), so a request naming the caller's key id is sent to a spare key of the same user
instead. Revoking that one still exercises a real 200.
"""

from __future__ import annotations

import os

import schemathesis

PROTECTED_KEY_ID = os.environ["CHAMELEON_PROTECTED_KEY_ID"]
SPARE_KEY_ID = os.environ["CHAMELEON_SPARE_KEY_ID"]


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    """Point any request at the caller's own key to the spare key."""
    if case.path_parameters and case.path_parameters.get("key_id") == PROTECTED_KEY_ID:
        case.path_parameters["key_id"] = SPARE_KEY_ID
