"""The measurements, in order: warm-up, rounds of turns, first use, memory, revocation.

The variants run in turns, A B C ... A B C ..., for several rounds in one run, so machine
noise hits each of them alike. Latencies include waiting behind the other connections: one
sync worker serves one connection at a time, and more than one connection keeps it from
ever idling.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from fixtures import Dataset
from load import LoadGenerator, Turn
from servers import Server
from summary import summarize
from variants import Variant, build_variants

Target = tuple[Server, Dataset]  # a server and the database it serves


def measure(
    sqlite: Target,
    pg: Target | None,
    library: dict[str, Server],
    load: LoadGenerator,
    rounds: int,
    duration: int,
    warmup: int,
) -> dict[str, Any]:
    """Warm up, run the rounds, then time first use and check revocation on every server."""
    targets = [sqlite] + ([pg] if pg else [])
    print("Warming up (every key once, then each variant briefly)...")
    for server, dataset in targets:
        use_every_key(server, dataset.keys)
    for server in library.values():
        use_every_key(server, sqlite[1].keys)
    variants = build_variants(*sqlite, pg, library)
    if warmup:
        # Each variant briefly, so imports, caches and pools are warm before measuring.
        for variant in variants:
            load.run(variant, warmup)
    rss_warm = {server.name: server.worker_rss_kib() for server, _ in targets}

    print("Measuring:")
    turns = run_rounds(variants, load, rounds, duration)
    first_use = measure_first_use(*sqlite)
    rss_after = {server.name: server.worker_rss_kib() for server, _ in targets}
    revocation = {server.name: check_revocation(server, dataset) for server, dataset in targets}

    return {
        "variants": summarize(variants, turns),
        "first_use": first_use,
        "revocation": revocation,
        "memory": {
            "worker_rss_kib_after_warmup": rss_warm,
            "worker_rss_kib_after_run": rss_after,
        },
    }


def use_every_key(server: Server, keys: list[str]) -> None:
    """Send one request per key, so each key's one bcrypt check happens now."""
    for key in keys:
        response = server.get("/api/me", key)
        if response.status_code != 200:
            raise RuntimeError(
                f"warm-up on {server.name}: GET /api/me answered {response.status_code} "
                f"{response.text[:200]}"
            )


def run_rounds(
    variants: list[Variant], load: LoadGenerator, rounds: int, duration: int
) -> dict[str, list[Turn]]:
    """Drive the variants in turns, round after round; return each variant's turns."""
    turns: dict[str, list[Turn]] = {variant.id: [] for variant in variants}
    for number in range(1, rounds + 1):
        figures = []
        for variant in variants:
            turn = load.run(variant, duration)
            turns[variant.id].append(turn)
            figures.append(f"{variant.id}:{turn.rps:,.0f}")
        print(f"  round {number}/{rounds}  req/s  " + "  ".join(figures), flush=True)
    return turns


def measure_first_use(server: Server, data: Dataset) -> dict[str, Any]:
    """Time the first request of each never-used key, then a second one, in milliseconds.

    A key's verifier is written when it is made, so its first request pays no bcrypt.
    """
    first, second = [], []
    statuses = set()
    for key in data.fresh_keys:
        for samples in (first, second):
            started = time.perf_counter()
            response = server.get("/api/me", key)
            samples.append((time.perf_counter() - started) * 1000)
            statuses.add(response.status_code)
    return {
        "samples_ms": [round(value, 2) for value in first],
        "median_ms": round(statistics.median(first), 2),
        "second_request_median_ms": round(statistics.median(second), 2),
        "statuses": sorted(statuses),
    }


def check_revocation(server: Server, data: Dataset) -> dict[str, Any]:
    """Revoke a key in use; the very next request with it must be 401."""
    from app.keys import service
    from app.keys.format import parse_key

    key = data.keys[0]
    before = server.get("/api/me", key).status_code
    parsed = parse_key(key)
    assert parsed is not None
    with data.app.app_context():
        service.revoke_key(parsed.key_id, owner_id=None)
    after = server.get("/api/me", key)
    code = after.json().get("error", {}).get("code") if after.status_code == 401 else None
    passed = before == 200 and after.status_code == 401 and code == "invalid_api_key"
    return {"before": before, "after": after.status_code, "result": "PASS" if passed else "FAIL"}
