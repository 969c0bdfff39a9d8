"""JSON as the API reads it: strict, so no answer ever echoes something JSON cannot hold.

Flask's JSON provider, with ``loads`` refusing what Python's parser accepts but JSON does
not (NaN, Infinity), and refusing a document nested more than ``MAX_DEPTH`` deep before
the parser recurses into it (as any other bad document: a ``ValueError``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask.json.provider import DefaultJSONProvider


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


# Made once: json.loads with any option builds a new decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_not_json)
MAX_DEPTH = 100
# Strings (whose brackets do not nest anything) and the brackets that do.
_NESTING = re.compile(r'"(?:\\.|[^"\\])*"|[\[\]{}]')


def _too_deep(text: str) -> bool:
    """Whether ``text`` nests arrays and objects more than ``MAX_DEPTH`` deep."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False  # the common case, decided at C speed
    depth = 0
    for token in _NESTING.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif bracket in "]}":
            depth -= 1
    return False


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's default provider, strict when reading."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse ``s`` as JSON; ``ValueError`` for anything that is not JSON."""
        if isinstance(s, bytes):
            try:
                s = s.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ValueError("not UTF-8") from error
        # Refused before the parser recurses: deep recursion is slow, and CPython 3.11's
        # recovery from it has been seen to upset later parsing in the same thread.
        if _too_deep(s):
            raise ValueError("nested too deeply")
        return _DECODER.decode(s)
