"""The ``X-API-Key`` hook: every request under /api is admitted here, or answered first.

The gate (app/api/gate/) verifies the key and charges its owner's budget; this module turns
its answer into HTTP: 401 for a key that does not authenticate, 429 for a spent budget,
503 when the database cannot say. An admitted request runs as ``g.api_key`` (its
``KeyRecord``, app/keys/record.py); Flask-Login's ``current_user`` is never consulted under
/api. ``register_request_hooks`` in app/__init__.py decides where this hook runs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask, current_app, g, request
from limits.storage import RedisStorage, Storage
from limits.strategies import STRATEGIES

from app import database
from app.api.budget import ApiBudget, over_budget
from app.api.gate import Admission
from app.api.gate.local import LocalGate
from app.api.refusals import note_address_refused
from app.api.resources import Undeclared, resource_of
from app.api.throttle import FailedKeyThrottle
from app.errors import NO_KEY_ID, ApiError, database_unavailable
from app.extensions import limiter
from app.http import is_api_request, needs_key
from app.keys import permissions
from app.keys.access import KeyAccess
from app.keys.lookup import KeyLookup, StoreUnavailable
from app.keys.record import KeyRecord
from app.keys.verification import AddressNotAllowed, KeyCheckRefused, KeyRejected, KeyVerifier
from app.metrics import API_AUTH, BCRYPT_CHECKS, RATE_LIMITED, labelled
from app.ratelimit import client_address
from app.ratelimit.counter import LimitCounter
from app.usage.networks import NetworkWatch

if TYPE_CHECKING:
    from app.api.gate.redis_gate import RedisGate

log = logging.getLogger(__name__)

HEADER = "X-API-Key"
# Metric outcomes for refusal reasons that have no label of their own.
OUTCOMES = {"expired_unverified": "expired"}


def init_app(app: Flask) -> None:
    """Build this app's gate (after ``limiter.init_app``: it reads the limiter's storage)."""
    config = app.config
    counter = app.extensions["limit_counter"]
    verifier = KeyVerifier(
        KeyLookup(database.autocommit_engine(app)),
        app.extensions["verifier_secret"],
        on_bcrypt=BCRYPT_CHECKS.labels("key").inc,
    )
    throttle = FailedKeyThrottle(
        counter, config["FAILED_KEY_RATE_LIMIT"], config["FAILED_KEY_RATE_LIMIT_PER_KEY"]
    )
    gate = LocalGate(verifier, throttle, ApiBudget(counter))
    with app.app_context():
        shared = _one_trip_storage(limiter.storage, config["RATELIMIT_STRATEGY"])
    app.extensions["api_gate"] = _redis_gate(app, gate, counter) if shared else gate
    app.extensions["network_watch"] = NetworkWatch()


def _one_trip_storage(storage: Storage, strategy: str) -> bool:
    """Whether the storage is a plain Redis with the moving window (admit.lua's case)."""
    from redis import Redis  # the redis extra is installed whenever Redis storage is used

    if (
        not isinstance(storage, RedisStorage)
        or STRATEGIES[strategy] is not STRATEGIES["moving-window"]
    ):
        return False
    return isinstance(storage.get_connection(), Redis)


def _redis_gate(app: Flask, local: LocalGate, counter: LimitCounter) -> RedisGate:
    from app.api.gate.redis_gate import redis_gate  # redis is an extra: imported when used

    return redis_gate(app, local, counter)


def warm_up(app: Flask) -> None:
    """Connect this worker to the database (and Redis) before its first request.

    gunicorn calls it in each new worker (gunicorn.conf.py), so the first request after a
    start, a restart or a recycled worker does not pay for the connections, nor the first
    key's bookkeeping (app/usage/networks.py) for the ORM's, nor wait for the usage
    writer's thread to start. A store that does not answer yet is no reason not to start:
    the first request then connects.
    """
    try:
        with app.app_context():
            app.extensions["api_gate"].warm_up()
            app.extensions["network_watch"].warm_up()
    except Exception as error:  # any store error: the first request connects again
        log.warning("could not connect ahead of the first request: %s", error)
    app.extensions["usage_counter"].start()
    app.url_map.update()  # werkzeug compiles its matcher once, else on the first request


def authenticate_api_request() -> None:
    """Set ``g.api_key`` for a valid key within budget, or answer 401 or 429 before any view.

    An operation that needs no key (``no_key_needed``, app/http.py) is let through as is,
    with the failed-key budget of its address in the rate-limit headers.
    """
    if not is_api_request():
        return
    gate = current_app.extensions["api_gate"]
    address = client_address()
    if not needs_key():
        g.rate_limit_headers = gate.throttle.headers(address)
        return
    presented = request.headers.get(HEADER, "")
    if not presented:
        if request.routing_exception is not None:
            # An unknown path or method is answered as such (404, 405): paths are public.
            g.rate_limit_headers = gate.throttle.headers(address)
            return
        labelled(API_AUTH, "missing").inc()
        raise ApiError(
            401,
            "missing_api_key",
            f"Missing {HEADER} header",
            gate.throttle.headers(address),
            key_id=NO_KEY_ID,
        )
    # Once the presented key's row is known, the request counts in that key's usage
    # (app/api/bookkeeping.py), refused or not.
    try:
        admission: Admission = gate.admit(presented, address)
    except StoreUnavailable as error:
        # Never let a key through on a guess.
        raise database_unavailable(error, gate.throttle.headers(address)) from None
    except KeyCheckRefused as refused:
        g.presented_key_pk = refused.key_pk
        labelled(API_AUTH, "throttled").inc()
        raise _too_many_failures(gate.throttle.headers(address), refused.key_id) from None
    except KeyRejected as rejected:
        g.presented_key_pk = rejected.key_pk
        raise _rejection(gate.throttle, rejected, address) from None
    except AddressNotAllowed as refused:
        g.presented_key_pk = refused.record.key_pk
        labelled(API_AUTH, "address_not_allowed").inc()
        note_address_refused(refused.record, address, request.user_agent.string)
        raise ApiError(
            403,
            "address_not_allowed",
            f"This key may not be used from {address}.",
            gate.throttle.headers(address),
            reason="address_not_allowed",
            key_id=refused.record.key_id,
        ) from None
    key = admission.key
    g.presented_key_pk = key.key_pk
    labelled(API_AUTH, "ok").inc()
    if not admission.allowed:
        RATE_LIMITED.labels("api", key.role).inc()
        raise over_budget(key.role, admission.headers, admission.own_limit, key.key_id)
    g.api_key = key
    g.rate_limit_headers = admission.headers
    if admission.touch:
        g.record_use = key.key_pk
    if admission.renew is not None:
        g.renew_verifier = admission.renew
    if key.access != KeyAccess.FULL and request.url_rule is not None:
        _check_permission(key, request.endpoint or "", request.method)


def _check_permission(key: KeyRecord, endpoint: str, method: str) -> None:
    """Refuse (403) a key without the permission this view's resource needs for ``method``."""
    try:
        declared = resource_of(endpoint)
    except Undeclared:
        raise ApiError(
            403, "forbidden", "Only a key with full access may call this.", key_id=key.key_id
        ) from None
    if declared is None:  # every key may (GET /api/me)
        return
    message = permissions.refusal(key.access, key.permissions, declared, method)
    if message is not None:
        raise ApiError(403, "forbidden", message, reason="no_permission", key_id=key.key_id)


def _rejection(throttle: FailedKeyThrottle, rejected: KeyRejected, address: str) -> ApiError:
    # app/errors.py logs the refusal with its reason and key id (never the key).
    # A wrong secret always names its key: only a key id that exists gets that far.
    key_id = rejected.key_id
    logged_id = key_id or NO_KEY_ID  # no key id: the key was malformed
    if rejected.reason == "wrong_secret" and key_id is not None and not rejected.counted:
        within_budget, headers = throttle.record_failure(address, key_id)
        if not within_budget:
            labelled(API_AUTH, "throttled").inc()
            return _too_many_failures(headers, key_id)
    else:
        headers = throttle.headers(address)
    if rejected.reason == "expired":
        labelled(API_AUTH, "expired").inc()
        return ApiError(
            401, "expired_api_key", "API key expired", headers, reason="expired", key_id=logged_id
        )
    if rejected.reason == "disabled":
        labelled(API_AUTH, "disabled").inc()
        return ApiError(
            401,
            "disabled_api_key",
            "API key disabled",
            headers,
            reason="disabled",
            key_id=logged_id,
        )
    labelled(API_AUTH, OUTCOMES.get(rejected.reason, rejected.reason)).inc()
    return ApiError(
        401,
        "invalid_api_key",
        "API key not found",
        headers,
        reason=rejected.reason,
        key_id=logged_id,
    )


def _too_many_failures(headers: dict[str, str], key_id: str) -> ApiError:
    RATE_LIMITED.labels("failed_key", "").inc()
    headers.setdefault("Retry-After", "60")
    return ApiError(
        429,
        "rate_limited",
        f"Too many failed API key checks. Retry in {headers['Retry-After']} seconds.",
        headers,
        reason="throttled",
        key_id=key_id,
    )
