"""What the limiter keys on and how big each budget is, decided per request.

The API budget is per user (every key of a user shares it) and sized by the user's role,
read on every request so that a role change applies to the very next one. Nothing here
ever puts a key into a limiter storage key: only user ids and client addresses.
"""

from __future__ import annotations

from flask import Response, current_app, g, request


def client_address() -> str:
    """The client's address: the socket peer, or what trusted proxies say (see app/http.py)."""
    return request.remote_addr or "unknown"


def identify_request() -> str:
    """Name the request for Flask-Limiter, also when no route matched (a 404 under /api)."""
    return request.endpoint or "unrouted"


def rate_limit_key() -> str:
    """Key a limit by user for key-authenticated requests, by client address otherwise.

    Never empty: Flask-Limiter silently skips a limit whose key is empty.
    """
    api_key = g.get("api_key")
    if api_key is not None:
        return f"user:{api_key.user_id}"
    return f"address:{client_address()}"


def rate_limit_for(role: str) -> str:
    """The limit string (``"100 per minute"``) that ``ROLE_RATE_LIMITS`` gives ``role``."""
    return current_app.config["ROLE_RATE_LIMITS"][role]


def role_limit() -> str:
    """The budget of the user behind this request's key."""
    api_key = g.get("api_key")
    # Requests without a key are exempt (see not_an_api_user); any valid string will do.
    return rate_limit_for(api_key.role if api_key is not None else "standard")


def not_an_api_user() -> bool:
    """Exempt every request that is not authenticated by an API key from the role budget."""
    return g.get("api_key") is None


def keep_retry_after_for_refusals(response: Response) -> Response:
    """Drop the ``Retry-After`` Flask-Limiter adds to every answer, except 429 and 503.

    On a 200 it would tell well-behaved clients to wait for no reason.
    """
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response
