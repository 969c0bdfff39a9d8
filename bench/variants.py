"""The variants: the kinds of request the rounds drive, the baseline first.

| id      | request                                                  | expected | goal    |
|---------|----------------------------------------------------------|----------|---------|
| 1       | ``GET /livez``: Flask + gunicorn + HTTP, no key           | 200      |         |
| 2       | ``GET /api/me``, valid keys rotating over users           | 200      | >= 0.85 |
| 3       | ``POST /api/endpoint``, small JSON body, valid keys       | 200      | >= 0.80 |
| 4a / 4b | ``GET /api/me``, bad checksum / unknown key id            | 401      | >= 0.90 |
| 6a / 6b | 2 and 3 on PostgreSQL with Redis limits                   | 200      | >= 0.70 |
| L1-L3   | 2 (or 6a) with one hand-written piece put back to the     | 200      | (gain)  |
|         | library's version (bench/library_wsgi.py)                 |          |         |

(5, a new key's first request, and R, the restart, are timed apart: see measure.py.)
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
    # For a library variant: the variant it is the library's version of, and the piece.
    versus: str | None = None
    piece: str | None = None


def build_variants(
    sqlite: Server,
    data: Dataset,
    pg: tuple[Server, Dataset] | None,
    library: dict[str, Server],
) -> list[Variant]:
    """Every variant the rounds drive, the baseline first."""
    variants = [
        Variant("1", "GET /livez (baseline)", sqlite, "GET", "/livez"),
        Variant(
            "2", "GET /api/me, valid keys", sqlite, "GET", "/api/me", data.keys, goal="valid_get"
        ),
        Variant(
            "3", "POST /api/endpoint, valid keys", sqlite, "POST", "/api/endpoint", data.keys,
            body=BODY, goal="valid_post",
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
    by_id = {variant.id: variant for variant in variants}
    for number, (piece, (label, versus)) in enumerate(LIBRARY_PIECES.items(), start=1):
        if piece in library:
            # The same request as the variant it stands in for, on the library's server.
            same = by_id[versus]
            variants.append(
                Variant(f"L{number}", label, library[piece], same.method, same.path, same.keys,
                        body=same.body, versus=versus, piece=piece)
            )  # fmt: skip
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


# The hand-written pieces and what each is compared with: (label, variant it stands in for).
LIBRARY_PIECES = {
    "read": ("2 with the key read through SQLAlchemy", "2"),
    "windows": ("2 with the budget in limits' MemoryStorage", "2"),
}
