"""A key's description: free text beside its name, at most 500 characters."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l

from app.keys.rules import KeyRefused

MAX_DESCRIPTION_LENGTH = 500


class InvalidDescription(KeyRefused):
    """The description is too long or holds control characters other than line breaks."""


def clean_description(text: str | None) -> str | None:
    """``text`` trimmed (None when blank), or ``InvalidDescription`` saying what is wrong."""
    text = (text or "").strip().replace("\r\n", "\n")
    if not text:
        return None
    if len(text) > MAX_DESCRIPTION_LENGTH:
        raise InvalidDescription(
            _l("Descriptions are at most %(count)d characters.", count=MAX_DESCRIPTION_LENGTH)
        )
    if any(unicodedata.category(char).startswith("C") and char != "\n" for char in text):
        raise InvalidDescription(_l("Descriptions cannot contain control characters."))
    return text
