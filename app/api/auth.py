"""The one ``before_request`` hook that authenticates ``X-API-Key`` under /api.

A verified key answers as its user through ``g.api_key`` (an ``AuthenticatedKey``: key id,
key name, user id, email and role). Flask-Login's ``current_user`` is for the console's
cookie sessions only and is never consulted under /api.

The hook also charges the request to the user's budget. Both budgets (per user, and failed
checks per address) are counted here rather than by Flask-Limiter's own hook: this is
where the user is known, and a bcrypt check must be allowed or refused in the middle of
verification. Measured on one gunicorn worker, doing it here instead of through
Flask-Limiter's route machinery is the difference between about 0.7 and 0.8 or more of
the requests per second of an unauthenticated answer (see README, Performance). For a key
this process has verified before, the charge is sent before the key's row is read, so
that with Redis the two round trips overlap; it is kept only if the read confirms the
same owner and role, and taken back otherwise: a refused request charges nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request

from app import database
from app.api.budget import ApiBudget, PendingCharge
from app.api.throttle import FailedKeyThrottle
from app.errors import ApiError, database_unavailable
from app.extensions import limiter
from app.http import is_api_request
from app.keys.lookup import KeyLookup, StoreUnavailable
from app.keys.verify import AuthenticatedKey, KeyCheckRefused, KeyRejected, KeyVerifier
from app.ratelimit import LimitCounter, client_address

log = logging.getLogger(__name__)

HEADER = "X-API-Key"


def init_app(app: Flask) -> None:
    """Build this app's verifier, throttle and budget, and register the hooks."""
    counter = LimitCounter(
        strategy=lambda: limiter.limiter,
        strategy_name=app.config["RATELIMIT_STRATEGY"],
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
    )
    app.extensions["key_verifier"] = KeyVerifier(KeyLookup(database.autocommit_engine(app)))
    app.extensions["failed_key_throttle"] = FailedKeyThrottle(
        counter, app.config["FAILED_KEY_RATE_LIMIT"]
    )
    app.extensions["api_budget"] = ApiBudget(counter)
    # First of all before_request hooks (CSRF's and Flask-Limiter's come earlier in
    # create_app): an API request refused for its key then pays for nothing else.
    app.before_request_funcs.setdefault(None, []).insert(0, authenticate_api_request)
    app.after_request(add_rate_limit_headers)


def authenticate_api_request() -> None:
    """Set ``g.api_key`` for a valid key within budget, or answer 401 or 429 before any view."""
    if not is_api_request():
        return
    extensions = current_app.extensions
    throttle: FailedKeyThrottle = extensions["failed_key_throttle"]
    address = client_address()
    presented = request.headers.get(HEADER, "")
    if not presented:
        raise ApiError(
            401, "missing_api_key", f"Missing {HEADER} header", throttle.headers(address)
        )
    verifier: KeyVerifier = extensions["key_verifier"]
    budget: ApiBudget = extensions["api_budget"]
    # A key this process has verified before names its owner from memory, so with Redis
    # the owner's budget is charged while the key's row is read: the two round trips
    # overlap instead of following each other. The read still decides: ``charge`` keeps
    # that early charge only for the owner and role the row confirms. In memory there is
    # nothing to overlap, and the charge is simply made after the read.
    owner = verifier.remembered_owner(presented) if budget.sends_ahead() else None
    started = budget.start(*owner) if owner is not None else None
    try:
        api_key = _verify(verifier, presented, lambda: throttle.allows(address), started)
    except StoreUnavailable as error:
        # Never let a key through on a guess; the answer still carries its budget headers.
        raise database_unavailable(error, throttle.headers(address)) from None
    except KeyCheckRefused:
        raise _too_many_failures(throttle.headers(address)) from None
    except KeyRejected as rejected:
        # The reason and the address, never the key.
        log.info("API key refused (%s) from %s", rejected.reason, address)
        within_budget, headers = throttle.record_failure(address)
        if not within_budget:
            raise _too_many_failures(headers) from None
        raise ApiError(401, "invalid_api_key", "API key not found", headers) from None
    g.api_key = api_key
    g.rate_limit_headers = budget.charge(api_key.user_id, api_key.role, started)


def _verify(
    verifier: KeyVerifier,
    presented: str,
    may_check_hash: Callable[[], bool],
    started: PendingCharge | None,
) -> AuthenticatedKey:
    """``verifier.verify``, dropping the early charge when the key does not pass."""
    try:
        return verifier.verify(presented, may_check_hash)
    except Exception:
        if started is not None:
            # Before anything else counts on this thread's Redis connection (the failure).
            # Not on a BaseException (a worker timing out, a shutdown): no more I/O then.
            started.cancel()
        raise


def add_rate_limit_headers(response: Response) -> Response:
    """Put the caller's budget on every answer to an authenticated API request."""
    headers = g.get("rate_limit_headers")
    if headers is not None:
        response.headers.extend(headers)
    return response


def _too_many_failures(headers: dict[str, str]) -> ApiError:
    headers.setdefault("Retry-After", "60")
    return ApiError(
        429,
        "rate_limited",
        f"Too many failed API key checks from your address. "
        f"Retry in {headers['Retry-After']} seconds.",
        headers,
    )
