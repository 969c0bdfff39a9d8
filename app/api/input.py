"""What a client sends: path ids, query strings and JSON bodies, and how they are checked.

The views declare their query strings and bodies with the schemas below; the parser reads
them through webargs and turns a refusal into the API's own 400 ``bad_request``, its
message naming each field that is wrong. The same schemas write the document's
parameters and request bodies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any, ClassVar, NoReturn

from flask import Request, current_app, request
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    missing,
    post_load,
    validates_schema,
)
from marshmallow.validate import Length, OneOf, Range
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from app.api.values import ACTION_VALUES, ROLE_VALUES
from app.errors import ApiError
from app.paging import DEFAULT_LIMIT, MAX_LIMIT, MAX_ROW_ID, is_whole_number

# How a refusal names what it is about when it is not one field.
WHOLE = {"json": "The request body", "query": "The query string"}


def json_body() -> Any:
    """The request's JSON body, or None when it has none; 400 when it is not valid JSON.

    Any content type is read as JSON (clients often forget the header).
    """
    return parse_json(raw_body())


def raw_body() -> bytes:
    """The request's body as sent (empty when there is none), read once.

    Past ``MAX_CONTENT_LENGTH`` Werkzeug answers 413; a body that stops short, 400; a read
    that times out, 408 (only where the server bounds reads: gunicorn's sync worker does
    not, and nginx in deploy/ answers a stalled body itself).
    """
    if not request.content_length and not request.headers.get("Transfer-Encoding"):
        return b""  # no body at all (a GET, say): nothing to read
    try:
        raw = request.get_data(cache=False)
        limit = request.max_content_length
        # Werkzeug cuts a chunked body (no Content-Length) at the limit without a word: one
        # more byte waiting behind it means the body was too big.
        if limit and len(raw) >= limit and request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge
    except ClientDisconnected as disconnected:
        if isinstance(disconnected.__context__, TimeoutError):
            raise ApiError(
                408, "request_timeout", "The request body was not sent in time."
            ) from None
        raise
    return raw


def parse_json(raw: bytes) -> Any:
    """``raw`` as JSON, or None when it is blank; 400 when it is not valid JSON."""
    if not raw.strip():
        return None
    try:
        return current_app.json.loads(raw)
    except ValueError:
        raise ApiError(400, "bad_request", "The request body is not valid JSON.") from None


def refusal(messages: Mapping[str, Any]) -> str:
    """Marshmallow's messages by location as one sentence per field: ``limit: Not valid.``."""
    sentences = []
    for location, by_field in messages.items():
        for name, words in _flatten(by_field):
            subject = WHOLE.get(location, location) if name == "_schema" else name
            sentences.append(f"{subject}: {' '.join(words)}")
    return " ".join(sentences)


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, list[str]]]:
    if isinstance(messages, list):
        return [(prefix or "_schema", [str(word) for word in messages])]
    flat = []
    for name, inner in messages.items():
        path = str(name) if not prefix or name == "_schema" else f"{prefix}.{name}"
        flat += _flatten(inner, path)
    return flat


class ArgumentsParser(FlaskParser):
    """webargs' Flask parser, reading bodies as the API does and refusing in its shape."""

    DEFAULT_VALIDATION_STATUS = 400

    def load_json(self, req: Request, schema: Schema) -> Any:
        """The JSON body as ``json_body`` reads it (``missing`` when there is none)."""
        body = json_body()
        return missing if body is None else body

    def handle_error(
        self,
        error: ValidationError,
        req: Request,
        schema: Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> NoReturn:
        """Refuse with 400 ``bad_request``, naming each field and what is wrong with it."""
        # webargs has put the messages under the location they came from: always a dict.
        raise ApiError(400, "bad_request", refusal(error.messages_dict))


# Path parameters, described once (Werkzeug's converters give their types).
KEY_ID = {
    "in": "path",
    "name": "key_id",
    "description": "The key's public id (the 12 characters after `ck_`).",
    "example": "pu3PIUFLujWU",
}
USER_ID = {"in": "path", "name": "user_id", "description": "The user's id.", "example": 42}


class WholeNumber(fields.Integer):
    """An integer written in ASCII digits only (``int()`` alone takes "١٢" and " 5")."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and not is_whole_number(value):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """``true`` or ``false`` only: not "no", not 0."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class PageQuery(Schema):
    """``?limit=`` and ``?cursor=``, which every list takes."""

    limit = WholeNumber(
        load_default=DEFAULT_LIMIT,
        validate=Range(1, MAX_LIMIT),
        metadata={"description": "How many items a page holds."},
    )
    cursor = fields.String(
        metadata={
            "description": "Where the page starts: the previous page's `next_cursor`.",
            "example": "WzEwMTdd",
        }
    )

    @post_load
    def first_page_without_a_cursor(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """An empty ``?cursor=`` asks for the first page, as no cursor does."""
        if not data.get("cursor"):
            data["cursor"] = None
        return data


class AuditQuery(PageQuery):
    """A page of audit events, filtered by action or by user."""

    action = fields.String(
        validate=OneOf(ACTION_VALUES),
        metadata={"description": "Only events of this action.", "example": "key.revoked"},
    )
    user = WholeNumber(
        validate=Range(1, MAX_ROW_ID),
        metadata={
            "description": "Only events a user made or that concern them (a user id).",
            "example": 42,
        },
    )
    actor = WholeNumber(
        validate=Range(1, MAX_ROW_ID),
        metadata={"description": "Only events this user made (a user id).", "example": 42},
    )
    since = fields.AwareDateTime(
        default_timezone=UTC,
        metadata={
            "description": "Only events at or after this time (ISO 8601; UTC if no offset).",
            "example": "2026-11-01T00:00:00Z",
        },
    )
    until = fields.AwareDateTime(
        default_timezone=UTC,
        metadata={
            "description": "Only events before this time (ISO 8601; UTC if no offset).",
            "example": "2026-12-01T00:00:00Z",
        },
    )


class UserChange(Schema):
    """One change or both."""

    # What the document says that marshmallow cannot (app/openapi/answers.py adds it).
    OPENAPI: ClassVar[dict[str, Any]] = {"minProperties": 1}

    role = fields.String(
        validate=OneOf(ROLE_VALUES),
        metadata={"description": "Decides the budget and whether admin operations are allowed."},
    )
    active = StrictBoolean(metadata={"description": "A deactivated user's keys stop working."})

    @validates_schema
    def one_change_at_least(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """An empty change is a mistake, never a silent success."""
        if not data:
            raise ValidationError('Send "role", "active" or both.')


# How many keys one report to POST /api/keys/revoke-leaked may name.
MAX_REPORTED_KEYS = 100
# Longer than any key; longer strings are no key of ours and are refused as such.
MAX_REPORTED_TOKEN = 200


class RevokeLeaked(Schema):
    """Keys someone found in public."""

    keys = fields.List(
        fields.String(validate=Length(max=MAX_REPORTED_TOKEN)),
        required=True,
        validate=Length(max=MAX_REPORTED_KEYS),
        metadata={"description": "The keys found, as they were found (at most 100)."},
    )


class LeakReportItem(Schema):
    """One token GitHub found (fields GitHub adds later are ignored)."""

    class Meta:
        """GitHub may add fields to its reports: they are ignored, never refused."""

        unknown = EXCLUDE

    token = fields.String(required=True, metadata={"description": "The token as found."})
    type = fields.String(metadata={"description": "The token type GitHub matched."})
    url = fields.String(
        allow_none=True, metadata={"description": "Where it was found (a public URL)."}
    )
    source = fields.String(
        allow_none=True,
        metadata={"description": "Where on GitHub: `content`, `commit`, `pull_request`..."},
    )
