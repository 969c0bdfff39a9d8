"""Keys found in public, reported without a key: GitHub's secret scanning, and anyone.

- ``POST /api/leaks/github``: GitHub's secret-scanning partner reports, trusted only when
  signed by a key in ``SECRET_SCANNING_PUBLIC_KEYS`` (app/secret_scanning.py).
- ``POST /api/keys/revoke-leaked``: anyone who found keys revokes them; the answer is the
  same whatever the keys were, so it tells the sender nothing they did not know.

Neither needs ``X-API-Key`` (``no_key_needed``); what a genuine key's leak does is the key
domain's (app/keys/leaks.py).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_limiter import RequestLimit
from limits import WindowStats
from marshmallow import ValidationError

from app.api import bp, examples
from app.api.input import LeakReportItem, RevokeLeaked, parse_json, raw_body, refusal
from app.api.schemas import LeakFinding, Received
from app.audit import Actor
from app.errors import ApiError, api_error_response
from app.extensions import limiter
from app.http import no_key_needed
from app.keys.leak import REPORT_SOURCE, Leak
from app.keys.leaks import Finding, LeakAction, handle_report
from app.keys.verification import CheckBudget
from app.ratelimit import client_address, rate_limit_headers
from app.secret_scanning import IDENTIFIER_HEADER, SIGNATURE_HEADER, is_signed

# A report's source when GitHub's item names none.
GITHUB_SOURCE = "github"
NO_KEY: dict[str, list[object]] = {"security": []}


def _reporter() -> Actor:
    return Actor.anonymous(client_address(), request.user_agent.string)


def _handle(
    token: str, leak: Leak, action: LeakAction, may_check_hash: CheckBudget | None = None
) -> Finding:
    app = current_app
    return handle_report(
        token,
        leak,
        verifier=app.extensions["verifier_secret"],
        action=action,
        actor=_reporter(),
        may_check_hash=may_check_hash,
    )


@bp.route("/leaks/github", methods=["POST"])
@no_key_needed
@bp.response(200, LeakFinding(many=True), example=examples.LEAK_FINDINGS)
@bp.alt_response(401, response="InvalidSignature")
@bp.doc(
    requestBody={
        "required": True,
        "description": "The report, exactly as GitHub signed it.",
        "content": {
            "application/json": {
                "schema": LeakReportItem(many=True),
                "example": examples.LEAK_REPORT,
            }
        },
    },
    **NO_KEY,
)
def github_report() -> ResponseReturnValue:
    """Report keys found by GitHub secret scanning.

    GitHub's partner format: a JSON array of found tokens, signed with ECDSA P-256 over
    the raw body (`GITHUB-PUBLIC-KEY-IDENTIFIER`, `GITHUB-PUBLIC-KEY-SIGNATURE`) by a key in
    `SECRET_SCANNING_PUBLIC_KEYS`; no `X-API-Key`. A report without a valid signature is
    refused with 401 `invalid_signature` and changes nothing. Each genuine active key is
    revoked (or flagged, with `LEAKED_KEY_ACTION=notify`) and its owner told.
    """
    body = raw_body()
    keys = current_app.extensions["secret_scanning_keys"]
    identifier = request.headers.get(IDENTIFIER_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not is_signed(keys, identifier, signature, body):
        raise ApiError(
            401,
            "invalid_signature",
            "The report is not signed by a key in SECRET_SCANNING_PUBLIC_KEYS.",
            reason="invalid_signature",
        )
    try:
        items = LeakReportItem(many=True).load(parse_json(body))
    except ValidationError as error:
        raise ApiError(400, "bad_request", refusal({"json": error.messages_dict})) from None
    answer = []
    for item in items:
        leak = Leak(item.get("url"), item.get("source") or GITHUB_SOURCE)
        finding = _handle(item["token"], leak, LeakAction(current_app.config["LEAKED_KEY_ACTION"]))
        answer.append(
            {
                "token_hash": finding.token_hash,
                "token_type": item.get("type", ""),
                "label": "true_positive" if finding.genuine else "false_positive",
            }
        )
    return jsonify(answer)


def _own_budget(limit: RequestLimit, refused: bool) -> dict[str, str]:
    """The route limit's state as this answer's rate-limit headers (in place of the hook's)."""
    stats = WindowStats(limit.reset_at, limit.remaining)
    headers = rate_limit_headers(limit.limit, stats, refused)
    g.rate_limit_headers = {k: v for k, v in headers.items() if k != "Retry-After"}
    return headers


def _over_limit(limit: RequestLimit) -> Response:
    """The 429 of the revoke endpoint's own budget, in the API's shape."""
    retry_after = _own_budget(limit, refused=True)["Retry-After"]
    message = f"Too many reports from this address. Retry in {retry_after} seconds."
    return api_error_response(ApiError(429, "rate_limited", message, {"Retry-After": retry_after}))


def _revoke_leaked_limit() -> str:
    return str(current_app.config["REVOKE_LEAKED_RATE_LIMIT"])


@bp.route("/keys/revoke-leaked", methods=["POST"])
@no_key_needed
@limiter.limit(_revoke_leaked_limit, key_func=client_address, on_breach=_over_limit)
@bp.arguments(RevokeLeaked, example=examples.REVOKE_LEAKED)
@bp.response(202, Received, example={"received": 1})
@bp.alt_response(429, response="RateLimited")
@bp.doc(**NO_KEY)
def revoke_leaked(body: dict[str, Any]) -> ResponseReturnValue:
    """Revoke keys you found in public.

    No key or sign-in needed: send up to 100 keys you found where they do not belong.
    Each one that is a genuine key of this service is revoked at once and its owner told.
    The answer is the same whatever the keys were. Limited per client address
    (`REVOKE_LEAKED_RATE_LIMIT`).
    """
    if limiter.current_limit is not None:
        _own_budget(limiter.current_limit, refused=False)
    keys = body["keys"]
    leak = Leak(None, REPORT_SOURCE)
    # Anyone may call this: a key only bcrypt can tell spends the failed-check budgets, as
    # through X-API-Key (else 100 keys a request would buy 100 unbudgeted bcrypt checks).
    throttle, address = current_app.extensions["api_gate"].throttle, client_address()

    def may_check_hash(key_id: str, last_address: str | None) -> bool:
        return bool(throttle.take_check(address, key_id, last_address))

    # Always revoked, whatever LEAKED_KEY_ACTION says of GitHub's reports: a key anyone
    # could paste here is a key anyone could use.
    for token in dict.fromkeys(keys):
        _handle(token, leak, LeakAction.REVOKE, may_check_hash)
    return jsonify(received=len(keys)), 202
