"""The OpenAPI document read for people: each operation's parameters, fields, answers, curl.

Only what /docs shows: ``$ref``s followed (with their sibling keywords merged in, as
OpenAPI 3.1 allows), objects flattened into dotted field names (``keys[].status``), types
written out. It reads the document; it never decides anything about the API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

METHODS = ("get", "put", "post", "delete", "patch")
MAX_DEPTH = 4  # deep enough for every field the API has; a bound against a cyclic schema

Schema = dict[str, Any]


@dataclass(frozen=True)
class Field:
    """One field of a body: ``keys[].status``, its type, whether it is always there."""

    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Header:
    """A header an answer carries."""

    name: str
    description: str


@dataclass(frozen=True)
class Answer:
    """One documented answer of an operation."""

    status: str
    description: str
    headers: list[Header]
    fields: list[Field]
    example: str | None


@dataclass(frozen=True)
class Operation:
    """One method on one path, as /docs shows it."""

    anchor: str
    method: str
    path: str
    tag: str
    summary: str
    description: str
    parameters: list[Field]
    body: list[Field] | None
    body_required: bool
    body_example: str | None
    answers: list[Answer]
    curl: str


def operations(spec: dict[str, Any]) -> list[Operation]:
    """Every operation of ``spec``, in the document's order."""
    found = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                found.append(_operation(spec, path, method, item[method]))
    return found


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """``node`` with its ``$ref`` followed, the keywords beside the ``$ref`` merged over it."""
    if not isinstance(node, dict) or "$ref" not in node:
        return node
    target: Any = spec
    for part in node["$ref"].removeprefix("#/").split("/"):
        target = target[part]
    siblings = {key: value for key, value in node.items() if key != "$ref"}
    return _merge(resolve(spec, target), siblings)


def _merge(base: Any, over: Any) -> Any:
    if not (isinstance(base, dict) and isinstance(over, dict)):
        return over
    merged = dict(base)
    for key, value in over.items():
        if key == "required":
            merged[key] = [*base.get(key, []), *value]
        else:
            merged[key] = _merge(base[key], value) if key in base else value
    return merged


def _operation(spec: dict[str, Any], path: str, method: str, op: dict[str, Any]) -> Operation:
    parameters = [resolve(spec, parameter) for parameter in op.get("parameters", [])]
    body = resolve(spec, op.get("requestBody"))
    body_media = (body or {}).get("content", {}).get("application/json", {})
    body_example = _example(body_media)
    return Operation(
        anchor=f"op-{op['operationId']}",
        method=method.upper(),
        path=path,
        tag=(op.get("tags") or [""])[0],
        summary=op.get("summary", ""),
        description=op.get("description", ""),
        parameters=[
            Field(
                f"{p['name']} ({p['in']})",
                type_text(spec, resolve(spec, p.get("schema", {}))),
                bool(p.get("required")),
                p.get("description", ""),
            )
            for p in parameters
        ],
        body=None if body is None else fields(spec, body_media.get("schema", {})),
        body_required=bool((body or {}).get("required")),
        body_example=body_example,
        answers=[
            _answer(spec, status, resolve(spec, answer))
            for status, answer in op["responses"].items()
        ],
        curl=curl(method, path, parameters, body_example),
    )


def _answer(spec: dict[str, Any], status: str, answer: dict[str, Any]) -> Answer:
    media = answer.get("content", {}).get("application/json", {})
    return Answer(
        status=status,
        description=answer.get("description", ""),
        headers=[
            Header(name, resolve(spec, header).get("description", ""))
            for name, header in answer.get("headers", {}).items()
        ],
        fields=fields(spec, media["schema"]) if "schema" in media else [],
        example=_example(media),
    )


def _example(media: dict[str, Any]) -> str | None:
    if "example" in media:
        value = media["example"]
    elif media.get("examples"):
        value = next(iter(media["examples"].values()))["value"]
    else:
        return None
    return json.dumps(value, indent=2, ensure_ascii=False)


def fields(spec: dict[str, Any], schema: Schema, prefix: str = "", depth: int = 0) -> list[Field]:
    """Every field of an object schema, nested ones as ``outer.inner`` and ``list[].item``."""
    schema = resolve(spec, schema)
    if depth > MAX_DEPTH:
        return []
    if schema.get("type") == "array":
        return fields(spec, schema.get("items", {}), f"{prefix}[].", depth + 1)
    found = []
    required = set(schema.get("required", []))
    for name, sub in schema.get("properties", {}).items():
        sub = resolve(spec, sub)
        about = sub.get("description", "")
        found.append(Field(f"{prefix}{name}", type_text(spec, sub), name in required, about))
        if sub.get("type") == "array":
            found += fields(spec, sub.get("items", {}), f"{prefix}{name}[].", depth + 1)
        elif sub.get("type") == "object":
            found += fields(spec, sub, f"{prefix}{name}.", depth + 1)
    return found


def type_text(spec: dict[str, Any], schema: Schema) -> str:
    """A schema's type in words: ``string (date-time) or null``, ``one of: full, read``."""
    schema = resolve(spec, schema)
    if "const" in schema:
        return f"always {json.dumps(schema['const'])}"
    if "enum" in schema:
        return "one of: " + ", ".join(str(value) for value in schema["enum"])
    kinds = schema.get("type")
    if kinds is None:
        return "any JSON value"
    words = []
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        if kind == "array":
            words.append(f"array of {type_text(spec, schema.get('items', {}))}")
        elif kind != "null" and "format" in schema:
            words.append(f"{kind} ({schema['format']})")
        else:
            words.append(kind)
    limits = _limits(schema)
    return " or ".join(words) + (f", {limits}" if limits else "")


def _limits(schema: Schema) -> str:
    parts = []
    if "minimum" in schema and "maximum" in schema:
        parts.append(f"{schema['minimum']} to {schema['maximum']}")
    elif "minimum" in schema:
        parts.append(f"at least {schema['minimum']}")
    if "default" in schema:
        parts.append(f"default {schema['default']}")
    return ", ".join(parts)


def curl(method: str, path: str, parameters: list[dict[str, Any]], body_example: str | None) -> str:
    """The operation as a curl command, with ``$BASE`` and ``$KEY`` from the environment."""
    for parameter in parameters:
        if parameter["in"] == "path" and "example" in parameter:
            path = path.replace(f"{{{parameter['name']}}}", str(parameter["example"]))
    words = ["curl"]
    if method != "get":
        words += ["-X", method.upper()]
    words += [f'"$BASE{path}"', '-H "X-API-Key: $KEY"']
    if body_example is not None:
        compact = json.dumps(json.loads(body_example), ensure_ascii=False)
        words += ['-H "Content-Type: application/json"', f"-d '{compact}'"]
    return " ".join(words)
