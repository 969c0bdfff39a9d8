"""The generated document's operations as /docs shows them: parameters, fields, answers, curl.

It only reads the document (words.py puts its schemas into words), so the page can say
nothing the document does not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.openapi.words import Field, fields, resolve, type_text

METHODS = ("get", "put", "post", "delete", "patch")


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
    header = spec["components"]["securitySchemes"]["ApiKey"]["name"]
    return [
        _operation(spec, path, method, item[method], item.get("parameters", []), header)
        for path, item in spec["paths"].items()
        for method in METHODS
        if method in item
    ]


def _operation(
    spec: dict[str, Any],
    path: str,
    method: str,
    op: dict[str, Any],
    path_parameters: list[dict[str, Any]],
    header: str,
) -> Operation:
    parameters = [resolve(spec, p) for p in [*path_parameters, *op.get("parameters", [])]]
    body = resolve(spec, op.get("requestBody"))
    media = (body or {}).get("content", {}).get("application/json", {})
    body_example = example(media)
    return Operation(
        anchor=f"op-{op['operationId']}",
        method=method.upper(),
        path=path,
        tag=(op.get("tags") or [""])[0],
        summary=op.get("summary", "").rstrip("."),
        description=op.get("description", ""),
        parameters=[
            Field(
                f"{p['name']} ({p['in']})",
                type_text(spec, p.get("schema", {})),
                bool(p.get("required")),
                p.get("description", ""),
            )
            for p in parameters
        ],
        body=None if body is None else fields(spec, media.get("schema", {})),
        body_required=bool((body or {}).get("required")),
        body_example=body_example,
        answers=[answer(spec, status, item) for status, item in op["responses"].items()],
        curl=curl(method, path, parameters, body_example, header),
    )


def answer(spec: dict[str, Any], status: str, item: dict[str, Any]) -> Answer:
    """One answer in words: its headers, its fields and its example."""
    resolved = resolve(spec, item)
    media = resolved.get("content", {}).get("application/json", {})
    return Answer(
        status=status,
        description=resolved.get("description", ""),
        headers=[
            Header(header, resolve(spec, about).get("description", ""))
            for header, about in resolved.get("headers", {}).items()
        ],
        fields=fields(spec, media["schema"]) if "schema" in media else [],
        example=example(media),
    )


def example(media: dict[str, Any]) -> str | None:
    """The media's example (its first, when it has several), as indented JSON."""
    if "example" in media:
        value = media["example"]
    elif media.get("examples"):
        value = next(iter(media["examples"].values()))["value"]
    else:
        return None
    return json.dumps(value, indent=2, ensure_ascii=False)


def curl(
    method: str,
    path: str,
    parameters: list[dict[str, Any]],
    body_example: str | None,
    header: str = "X-API-Key",
) -> str:
    """The operation as a curl command, with ``$BASE`` and ``$KEY`` from the environment."""
    for parameter in parameters:
        if parameter["in"] == "path" and "example" in parameter:
            path = path.replace(f"{{{parameter['name']}}}", str(parameter["example"]))
    words = ["curl"]
    if method != "get":
        words += ["-X", method.upper()]
    words += [f'"$BASE{path}"', f'-H "{header}: $KEY"']
    if body_example is not None:
        compact = json.dumps(json.loads(body_example), ensure_ascii=False)
        words += ['-H "Content-Type: application/json"', f"-d '{compact}'"]
    return " ".join(words)
