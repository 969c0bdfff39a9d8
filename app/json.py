"""JSON as the API reads it: strict, so no answer ever echoes something JSON cannot hold.

Flask's JSON provider, with ``loads`` refusing what Python's parser accepts but JSON does
not (NaN, Infinity), and turning a document nested deeper than the parser goes into the
``ValueError`` of any other bad document.
"""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


# Made once: json.loads with any option builds a new decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_not_json)


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
