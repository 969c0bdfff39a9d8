"""Schemas of the OpenAPI document in words: fields flattened, types written out.

``$ref``s are followed with their sibling keywords merged in (as OpenAPI 3.1 allows), and
objects flattened into dotted field names (``keys[].status``). Used by /docs; it reads the
document and never decides anything about the API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 4  # deep enough for every field the API has; a bound against a cyclic schema

Schema = dict[str, Any]


@dataclass(frozen=True)
class Field:
    """One field of a body: ``keys[].status``, its type, whether it is always there."""

    name: str
    type: str
    required: bool
    description: str


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
    if len(schema.get("enum", ())) == 1:
        return f"always {json.dumps(schema['enum'][0])}"
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
