"""JSON as the API reads it: strict, so no answer ever echoes something JSON cannot hold.

Flask's JSON provider, with ``loads`` refusing what Python's parser accepts but JSON does
not (NaN, Infinity, and numbers such as 1e999 that only a float's infinity holds), and
turning a document nested deeper than the parser goes into the ``ValueError`` of any other
bad document.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask.json.provider import DefaultJSONProvider


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def _finite(text: str) -> float:
    # "1e999" is valid JSON, but Python reads it as inf, which would be echoed as Infinity.
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("number too large")
    return number


# Made once: json.loads with any option builds a new decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_not_json, parse_float=_finite)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's default provider, strict when reading."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse ``s`` as JSON; ``ValueError`` for anything that is not JSON."""
        if isinstance(s, bytes):
            try:
                s = s.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ValueError("not UTF-8") from error
        try:
            return _DECODER.decode(s)
        except RecursionError:  # "[[[[..." nested deeper than the parser goes
            raise ValueError("nested too deeply") from None
