"""What the API answers, as marshmallow schemas: the views declare them, the document shows them.

Every field an answer has is declared ``required`` (it is always there, null or not), and
a schema refuses any field it does not declare, so /openapi.json says so and schemathesis
fails an answer with a field too many.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields
from marshmallow.validate import Equal, Length, OneOf, Range

from app.api.values import (
    ACCESS_VALUES,
    ACTION_VALUES,
    KEY_STATUS_VALUES,
    LEVEL_VALUES,
    RESOURCE_VALUES,
    ROLE_VALUES,
)


def _about(description: str) -> dict[str, str]:
    return {"description": description} if description else {}


def _nullable(
    field: type[fields.Field[Any]], description: str = "", **kwargs: Any
) -> fields.Field[Any]:
    """A field that is always there and may be null."""
    return field(required=True, allow_none=True, metadata=_about(description), **kwargs)


def _always(
    field: type[fields.Field[Any]], description: str = "", **kwargs: Any
) -> fields.Field[Any]:
    """A field that is always there and never null."""
    return field(required=True, metadata=_about(description), **kwargs)


def _next_cursor() -> fields.Field[Any]:
    return _nullable(fields.String, "Pass as `?cursor=` for the next page; null on the last page.")


class Caller(Schema):
    """Who called: the key's user."""

    id = _always(fields.Integer)
    email = _always(fields.String)
    role = _always(fields.String, validate=OneOf(ROLE_VALUES))


class KeyName(Schema):
    """Which key called."""

    id = _always(fields.String, "The key's public id.")
    name = _always(fields.String)


class Echo(Schema):
    """Who called, with which key, and what they sent."""

    ok = _always(fields.Boolean, validate=Equal(True))
    user = _always(fields.Nested, nested=Caller)
    key = _always(fields.Nested, nested=KeyName)
    received = fields.Raw(
        required=True,
        allow_none=True,
        metadata={"description": "The JSON body sent, or null when there was none."},
    )


class Me(Caller):
    """The caller, with the budget their role gives them."""

    rate_limit = _always(fields.String, 'The role\'s budget, such as "100 per minute".')


class Key(Schema):
    """A key: never its secret or hash."""

    id = _always(fields.String, "The key's public id.")
    name = _always(fields.String)
    description = _nullable(fields.String, "Free text about the key; null if none.")
    prefix = _always(fields.String, "The start of the key, to recognise it by (never the secret).")
    created_at = _always(fields.DateTime)
    last_used_at = _nullable(fields.DateTime, "Null if never used.")
    last_used_ip = _nullable(fields.String, "Where it was last used from.")
    status = _always(fields.String, validate=OneOf(KEY_STATUS_VALUES))
    revoked_at = _nullable(fields.DateTime)
    expires_at = _nullable(fields.DateTime, "Null if it never expires.")
    access = _always(
        fields.String,
        "`full`: what the owner's role allows; `read`: GET and HEAD only; `restricted`: what "
        "`permissions` allow.",
        validate=OneOf(ACCESS_VALUES),
    )
    permissions = _nullable(
        fields.Dict,
        "A restricted key's level on each resource (`none`, `read` or `write`); null for "
        "other keys.",
        keys=fields.String(validate=OneOf(RESOURCE_VALUES)),
        values=fields.String(validate=OneOf(LEVEL_VALUES)),
    )
    allowed_networks = _always(
        fields.List,
        "Addresses and CIDR ranges the key may be used from; empty: anywhere.",
        cls_or_instance=fields.String(),
    )
    rate_limit = _nullable(
        fields.String, "The key's own rate limit, on top of its owner's budget; null if none."
    )
    replaced_by = _nullable(fields.String, "The id of the key that replaced it by rotation.")


class Owner(Schema):
    """A key's owner."""

    id = _always(fields.Integer)
    email = _always(fields.String)


class OwnedKey(Key):
    """A key and its owner."""

    user = _always(fields.Nested, "Whose key it is.", nested=Owner)


class KeyPage(Schema):
    """A page of the caller's keys."""

    keys = _always(fields.List, "Newest first.", cls_or_instance=fields.Nested(Key))
    next_cursor = _next_cursor()


class OwnedKeyPage(Schema):
    """A page of every user's keys."""

    keys = _always(fields.List, "Newest first.", cls_or_instance=fields.Nested(OwnedKey))
    next_cursor = _next_cursor()


class UsageDay(Schema):
    """One UTC day of a key's use."""

    date = _always(fields.Date)
    requests = _always(fields.Integer, "Answers to this key that day.", validate=Range(min=0))
    refused = _always(fields.Integer, "Of those, 401, 403 and 429 answers.", validate=Range(min=0))


class Usage(Schema):
    """A key's last 30 days."""

    key = _always(fields.String, "The key's public id.")
    days = _always(
        fields.List,
        "The last 30 UTC days, oldest first.",
        cls_or_instance=fields.Nested(UsageDay),
        validate=Length(equal=30),
    )


class Actor(Schema):
    """Who made a change."""

    id = _nullable(fields.Integer)
    email = _nullable(fields.String)


class AuditEvent(Schema):
    """One audit event: never a key or a password."""

    id = _always(fields.Integer)
    at = _always(fields.DateTime)
    action = _always(fields.String, validate=OneOf(ACTION_VALUES))
    actor = _always(
        fields.Nested,
        "Who did it: a user, or (id null) the command line or the service.",
        nested=Actor,
    )
    target = _nullable(
        fields.String, "What it was done to, such as `key:pu3PIUFLujWU` or `user:42`."
    )
    ip = _nullable(fields.String)
    user_agent = _nullable(fields.String)
    details = _always(fields.Dict, "What changed, by action; never a key or a password.")


class AuditPage(Schema):
    """A page of audit events."""

    events = _always(fields.List, "Newest first.", cls_or_instance=fields.Nested(AuditEvent))
    next_cursor = _next_cursor()


class User(Schema):
    """A user: never the password hash."""

    id = _always(fields.Integer)
    email = _always(fields.String)
    role = _always(fields.String, validate=OneOf(ROLE_VALUES))
    active = _always(fields.Boolean, "A deactivated user's keys stop working.")
    created_at = _always(fields.DateTime)


class ListedUser(User):
    """A user, with their number of active keys."""

    active_keys = _always(fields.Integer, validate=Range(min=0))


class UserPage(Schema):
    """A page of users."""

    users = _always(fields.List, "Oldest account first.", cls_or_instance=fields.Nested(ListedUser))
    next_cursor = _next_cursor()


class LeakFinding(Schema):
    """What this service makes of one reported token."""

    token_hash = _always(fields.String, "SHA-256 of the token, in hex.")
    token_type = _always(fields.String, "The token type the report gave.")
    label = _always(
        fields.String,
        "`true_positive`: a genuine key of this service; `false_positive`: anything else.",
        validate=OneOf(("true_positive", "false_positive")),
    )


class Received(Schema):
    """A report was received (the same answer whatever it held)."""

    received = _always(fields.Integer, "How many keys the report named.", validate=Range(0, 100))
