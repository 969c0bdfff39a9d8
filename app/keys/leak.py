"""What a report of a key found in public says: where it was seen and who reported it."""

from __future__ import annotations

from dataclasses import dataclass

from app.models.api_key import LEAK_URL_LENGTH

# The ``source`` of a report through POST /api/keys/revoke-leaked.
REPORT_SOURCE = "report"


@dataclass(frozen=True)
class Leak:
    """Where a key was found (``url``, when the report gave one) and who said so."""

    url: str | None
    source: str

    @property
    def stored_url(self) -> str | None:
        """The URL as the key's row keeps it (cut to its column)."""
        return self.url[:LEAK_URL_LENGTH] if self.url else None

    def details(self, *, revoked: bool) -> dict[str, object]:
        """What the audit event records about the leak."""
        return {"url": self.url, "source": self.source, "revoked": revoked}
