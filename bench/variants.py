"""The variants: the kinds of request the rounds drive, the baseline first.

| id      | request                                              | expected |
|---------|------------------------------------------------------|----------|
| 1       | ``GET /livez``: Flask + gunicorn + HTTP, no key       | 200      |
| 2       | ``GET /api/me``, valid keys rotating over users       | 200      |
| 3       | ``POST /api/endpoint``, small JSON body, valid keys   | 200      |
| 4a / 4b | ``GET /api/me``, bad checksum / unknown key id        | 401      |
| 6a / 6b | 2 and 3 on PostgreSQL with Redis limits               | 200      |

(5, the first request of a never-seen key, is timed apart: see ``measure.measure_first_use``.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fixtures import Dataset
from servers import Server

BODY = '{"key": "value"}'


@dataclass
class Variant:
    """One kind of request, driven by wrk against one server."""

    id: str
    label: str
    server: Server
    method: str
    path: str
    keys: list[str] = field(default_factory=list)
    body: str | None = None
    expected_status: int = 200
    goal: str | None = None  # a key of summary.GOALS


def build_variants(
    sqlite: Server, data: Dataset, pg: tuple[Server, Dataset] | None
) -> list[Variant]:
    """Every variant the rounds drive, the baseline first."""
    variants = [
        Variant("1", "GET /livez (baseline)", sqlite, "GET", "/livez"),
        Variant("2", "GET /api/me, valid keys", sqlite, "GET", "/api/me", data.keys, goal="valid"),
        Variant(
            "3", "POST /api/endpoint, valid keys", sqlite, "POST", "/api/endpoint", data.keys,
            body=BODY, goal="valid",
        ),
        Variant(
            "4a", "GET /api/me, bad checksum", sqlite, "GET", "/api/me", data.bad_checksum_keys,
            expected_status=401, goal="invalid",
        ),
        Variant(
            "4b", "GET /api/me, unknown key id", sqlite, "GET", "/api/me", data.unknown_keys,
            expected_status=401, goal="invalid",
        ),
    ]  # fmt: skip
    if pg is not None:
        server, pg_data = pg
        variants += [
            Variant(
                "6a", "GET /api/me, PostgreSQL+Redis", server, "GET", "/api/me", pg_data.keys,
                goal="postgres",
            ),
            Variant(
                "6b", "POST /api/endpoint, PostgreSQL+Redis", server, "POST", "/api/endpoint",
                pg_data.keys, body=BODY, goal="postgres",
            ),
        ]  # fmt: skip
    return variants
