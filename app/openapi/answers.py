"""The answers every operation shares, declared once: errors, rate-limit headers, the key.

An apispec plugin adds them to each operation of the generated document, by the rule that
says where each error comes from (``ERRORS``); views declare only their own answer. It
also names each operation (``operationId``, from its view's name) and tags it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apispec import APISpec, BasePlugin
from marshmallow import Schema, fields
from marshmallow.validate import OneOf

from app.api.resources import role_of
from app.errors import API_CODES, API_KEY_CHALLENGE

ADMIN_PREFIX = "/api/admin/"
ERROR_SCHEMA_REF = "#/components/schemas/Error"
TAGS = (
    {"name": "You", "description": "The caller: who they are, their keys, their audit events."},
    {
        "name": "Admin",
        "description": "Every user, key and audit event. Admins only: other roles get 403 "
        "`forbidden`.",
    },
    {
        "name": "Leaked keys",
        "description": "Reports of keys found in public. No key needed: anyone, or GitHub's "
        "secret scanning, may send them.",
    },
)

Operation = dict[str, Any]
Applies = Callable[[str, str, Operation], bool]

HEADERS = {
    "X-RateLimit-Limit": (
        "Requests the budget allows in its window: the caller's role budget, or, when no key "
        "authenticated the request, the failed-key budget of its address.",
        {"type": "integer", "minimum": 0},
    ),
    "X-RateLimit-Remaining": ("Requests left in the window.", {"type": "integer", "minimum": 0}),
    "X-RateLimit-Reset": (
        "When the window frees a request (Unix time, seconds).",
        {"type": "integer", "minimum": 0},
    ),
    "Retry-After": ("Seconds to wait before trying again.", {"type": "integer", "minimum": 1}),
    "WWW-Authenticate": ("How to authenticate.", {"type": "string", "const": API_KEY_CHALLENGE}),
    "Allow": ("The methods the path does take.", {"type": "string"}),
}
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def _always(path: str, method: str, operation: Operation) -> bool:
    return True


def needs_no_key(operation: Operation) -> bool:
    """Whether the operation is one anyone may call (it declares ``security: []``)."""
    return operation.get("security") == []


def _keyed(path: str, method: str, operation: Operation) -> bool:
    return not needs_no_key(operation)


def _never(path: str, method: str, operation: Operation) -> bool:
    return False


def _names_an_id(path: str, method: str, operation: Operation) -> bool:
    return "{" in path


def _enables(path: str, method: str, operation: Operation) -> bool:
    return path.endswith("/enable")


def _takes_input(path: str, method: str, operation: Operation) -> bool:
    query = any(parameter.get("in") == "query" for parameter in operation.get("parameters", []))
    return query or "requestBody" in operation


def _takes_a_body(path: str, method: str, operation: Operation) -> bool:
    return "requestBody" in operation


@dataclass(frozen=True)
class ErrorAnswer:
    """One error answer: its status, codes and extra headers, and which operations give it."""

    status: int
    name: str
    description: str
    codes: tuple[str, ...]
    examples: tuple[str, ...]  # a message for each code
    applies: Applies
    headers: tuple[str, ...] = ()


# Where each comes from: the key hook answers 401, 429 and 503 before any view; a read-only
# key writing, or another role on an admin path, 403; an id that is nobody's, 404; input
# that does not fit its declaration, 400; a body too slow or too large, 408 or 413. An
# unknown path under /api is a 404 and a method a path does not take a 405, for any path.
ERRORS = (
    ErrorAnswer(
        400, "BadRequest", "The request cannot be used; the message names the field and why.",
        (API_CODES[400],),
        ("limit: Must be greater than or equal to 1 and less than or equal to 1000.",),
        _takes_input,
    ),
    ErrorAnswer(
        401, "Unauthorized",
        "No key, or one that does not authenticate: missing, malformed, unknown, revoked, "
        "its user deactivated, past its expiry, or disabled.",
        ("missing_api_key", "invalid_api_key", "expired_api_key", "disabled_api_key"),
        ("Missing X-API-Key header", "API key not found", "API key expired", "API key disabled"),
        _keyed, ("WWW-Authenticate",),
    ),
    ErrorAnswer(
        403, "Forbidden",
        "The key may not do this: an admin operation for another role, a write with a "
        "read-only key, a key without the permission the operation names (`forbidden`), or "
        "a key used from outside its allowed networks (`address_not_allowed`).",
        (API_CODES[403], "address_not_allowed"),
        (
            "This key has no write permission on keys.",
            "This key may not be used from 203.0.113.9.",
        ),
        _keyed,
    ),
    ErrorAnswer(
        404, "NotFound", "Nothing with that id (among the caller's own, where it says so).",
        (API_CODES[404],), ("You have no key with that id.",), _names_an_id,
    ),
    ErrorAnswer(
        405, "MethodNotAllowed", "The path does not take that method; `Allow` says which.",
        (API_CODES[405],), ("The method is not allowed for the requested URL.",),
        _never, ("Allow",),
    ),
    ErrorAnswer(
        409, "Conflict", "The key cannot be enabled: it is revoked or expired.",
        (API_CODES[409],), ("A revoked key cannot be enabled. Create a new key instead.",),
        _enables,
    ),
    ErrorAnswer(
        408, "RequestTimeout", "The request body was not sent in time.",
        (API_CODES[408],), ("The request body was not sent in time.",), _takes_a_body,
    ),
    ErrorAnswer(
        413, "PayloadTooLarge", "The request body is larger than the server takes (1 MiB by "
        "default).",
        (API_CODES[413],), ("The data value transmitted exceeds the capacity limit.",),
        _takes_a_body,
    ),
    ErrorAnswer(
        429, "RateLimited",
        "Over the budget: the user's role budget, or failed key checks from this address. "
        "Back off and honour `Retry-After`.",
        (API_CODES[429],), ("Rate limit of 100 per minute exceeded. Retry in 42 seconds.",),
        _keyed, ("Retry-After",),
    ),
    ErrorAnswer(
        503, "Unavailable",
        "The database or the rate-limit storage did not answer. Try again shortly.",
        (API_CODES[503],), ("The service is temporarily unavailable. Try again shortly.",),
        _always, ("Retry-After",),
    ),
)  # fmt: skip
# Answers an operation that needs no key declares itself (``@bp.alt_response``); a keyless
# operation with a rate limit of its own declares ``RateLimited``.
OWN_ERRORS = (
    ErrorAnswer(
        401, "InvalidSignature",
        "The report is unsigned, or not signed by a key in `SECRET_SCANNING_PUBLIC_KEYS`: "
        "nothing was changed.",
        ("invalid_signature",),
        ("The report is not signed by a key in SECRET_SCANNING_PUBLIC_KEYS.",),
        _never, ("WWW-Authenticate",),
    ),
)  # fmt: skip
ERROR_CODES = tuple(code for answer in (*ERRORS, *OWN_ERRORS) for code in answer.codes)


class ErrorDetail(Schema):
    """What went wrong."""

    code = fields.String(
        required=True,
        validate=OneOf(ERROR_CODES),
        metadata={"description": "What went wrong, for programs."},
    )
    message = fields.String(required=True, metadata={"description": "What went wrong, for people."})


class Error(Schema):
    """Every error answer."""

    error = fields.Nested(ErrorDetail, required=True)


def error_response(answer: ErrorAnswer) -> dict[str, Any]:
    """The response component of ``answer``: the error shape with its codes, its headers."""
    codes = {"const": answer.codes[0]} if len(answer.codes) == 1 else {"enum": list(answer.codes)}
    examples = {
        code: {"value": {"error": {"code": code, "message": message}}}
        for code, message in zip(answer.codes, answer.examples, strict=True)
    }
    return {
        "description": answer.description,
        "headers": {name: name for name in (*RATE_LIMIT_HEADERS, *answer.headers)},
        "content": {
            "application/json": {
                "schema": {
                    "$ref": ERROR_SCHEMA_REF,
                    "properties": {"error": {"properties": {"code": codes}}},
                },
                "examples": examples,
            }
        },
    }


def tag_for(path: str, operation: Operation | None = None) -> str:
    """The tag of an operation: ``Leaked keys``, ``Admin`` or ``You``.

    ``Leaked keys`` for those that need no key, ``Admin`` under /api/admin/, else ``You``.
    """
    if operation is not None and needs_no_key(operation):
        return TAGS[2]["name"]
    return TAGS[1]["name"] if path.startswith(ADMIN_PREFIX) else TAGS[0]["name"]


def operation_id(endpoint: str) -> str:
    """``api.list_own_audit_events`` as ``listOwnAuditEvents``."""
    first, *rest = endpoint.rsplit(".", 1)[-1].split("_")
    return first + "".join(word.capitalize() for word in rest)


class SharedAnswers(BasePlugin):
    """Adds the shared answers, headers, names and tags to every operation of the document."""

    def init_spec(self, spec: APISpec) -> None:
        """Declare the shared components: the key, the headers, the error shape and answers."""
        super().init_spec(spec)
        spec.components.security_scheme(
            "ApiKey",
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-API-Key",
                "description": "A key such as `ck_pu3PIUFLujWU_...`, shown once when it is made.",
            },
        )
        for name, (description, schema) in HEADERS.items():
            spec.components.header(
                name, {"description": description, "required": True, "schema": schema}
            )
        spec.components.schema("Error", schema=Error)
        for answer in (*ERRORS, *OWN_ERRORS):
            spec.components.response(answer.name, error_response(answer))

    def schema_helper(
        self, name: str, definition: dict[str, Any], **kwargs: Any
    ) -> dict[str, Any] | None:
        """Add what a schema class says about itself in ``OPENAPI`` (``minProperties``)."""
        schema = kwargs.get("schema")
        return dict(getattr(schema, "OPENAPI", {})) or None

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Give each operation its name, tag, rate-limit headers and shared error answers."""
        assert path is not None and operations is not None
        for method, operation in operations.items():
            operation["operationId"] = operation_id(kwargs["rule"].endpoint)
            if not needs_no_key(operation):
                role = role_of(kwargs["rule"].endpoint, method)
                # OpenAPI 3.1 lets an apiKey requirement name roles: the permission it needs.
                operation["security"] = [{"ApiKey": [] if role is None else [role]}]
            operation["tags"] = [tag_for(path, operation)]
            # Keys as strings: a declaration may give 400 as a number, the rule as "400".
            responses = {
                str(status): answer for status, answer in operation.get("responses", {}).items()
            }
            for answer in responses.values():
                if isinstance(answer, dict):
                    answer.setdefault("headers", {}).update({h: h for h in RATE_LIMIT_HEADERS})
            for error in ERRORS:
                if error.applies(path, method, operation):
                    responses[str(error.status)] = error.name
            operation["responses"] = dict(sorted(responses.items()))
