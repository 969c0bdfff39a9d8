"""Measure what API-key authentication costs next to an unauthenticated request.

Run it with ``make bench`` (``make bench BENCH_ARGS="--rounds 2 --duration 3"`` for a quick
look). It needs ``wrk`` (Debian: ``apt-get install wrk``); PostgreSQL and Redis are used when
they answer, and skipped with a reason otherwise.

Method, one module a step (this folder is on ``sys.path`` when this file runs, so they are
imported by their plain names):

1. ``fixtures``: a fresh, migrated SQLite database in a temporary directory gets users and
   keys at the app's default bcrypt cost; with PostgreSQL and Redis, a database of the
   benchmark's own gets the same set-up.
2. ``servers``: a real gunicorn (production config, ONE sync worker) serves each database,
   pinned to one core, with rate limits raised so that no request is refused with 429.
3. ``variants`` and ``load``: the kinds of request, each driven by wrk (one thread, on the
   other core) with a generated Lua script that reports its figures as JSON.
4. ``measure``: warm-up, then the variants in turns for several rounds; then the first
   request of never-seen keys, the worker's memory, and a revocation check.
5. ``summary`` and ``report``: medians and ratios against each round's baseline, goals with
   PASS or MISS, the table, and the JSON results (``machine`` records what they depend on).

A miss is a measurement, not a failure. The exit status is 1 only when the measurement itself
is wrong (unexpected statuses) or revocation failed.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fixtures import (
    dispose,
    own_redis_keys,
    postgres_database,
    prepare_dataset,
    services_unavailable,
)
from load import LoadGenerator, require_wrk
from machine import machine_info
from measure import Target, measure
from report import print_intro, print_report, settings, write_results
from restart import measure_restart
from rotation import measure_rotation
from servers import PROJECT_ROOT, Server, clean_environment, cpu_plan, start_server
from storm import measure_storm
from summary import exit_status
from variants import LIBRARY_PIECES

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description="Benchmark API-key authentication against GET /livez on gunicorn + wrk.",
    )
    parser.add_argument("--rounds", type=int, default=5, help="turns per variant (default 5)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per turn (default 5)")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of warm-up per variant (default 2)"
    )
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument(
        "--skip-postgres", action="store_true", help="skip the PostgreSQL + Redis variants"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="%(default)s")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="%(default)s")
    args = parser.parse_args()
    if args.rounds < 1 or args.duration < 1 or args.warmup < 0 or args.connections < 1:
        parser.error("rounds, duration and connections must be at least 1, warmup at least 0")
    return args


def main() -> int:
    """Set up, measure, report; see the module docstring for the method."""
    args = parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows through make and tee
    wrk = require_wrk()
    clean_environment()
    plan = cpu_plan()
    report: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(wrk, plan),
        "settings": settings(args),
    }
    print_intro(args, plan)
    skip_reason = "--skip-postgres" if args.skip_postgres else None
    if skip_reason is None:
        skip_reason = services_unavailable(args.postgres_url, args.redis_url)
    report["postgres"] = {"ran": skip_reason is None, "skipped_because": skip_reason}

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    report |= run_benchmark(args, plan, skip_reason)
    report["machine"]["load_average_at_end"] = os.getloadavg()

    print_report(report)
    print(f"Results: {write_results(report).relative_to(PROJECT_ROOT)}")
    return exit_status(report)


def run_benchmark(
    args: argparse.Namespace, plan: tuple[int, int] | None, skip_reason: str | None
) -> dict[str, Any]:
    """Set up the databases and servers, measure; stop and drop everything after."""
    server_cpu, wrk_cpu = plan if plan else (None, None)
    with tempfile.TemporaryDirectory(prefix="chameleon-bench-") as tmp, ExitStack() as cleanup:
        workdir = Path(tmp)

        def serve(name: str, database_url: str, storage_uri: str) -> Target:
            """Fill a fresh database and serve it; both are undone when the run ends."""
            dataset = prepare_dataset(name, database_url, storage_uri)
            cleanup.callback(dispose, dataset.app)
            server = start_server(name, database_url, storage_uri, workdir, server_cpu)
            cleanup.callback(server.stop)
            return server, dataset

        def serve_library(piece: str, database_url: str, storage_uri: str) -> Server:
            """The same database served with one hand-written piece put back to the library."""
            server = start_server(
                f"library-{piece}", database_url, storage_uri, workdir, server_cpu, library=piece
            )
            cleanup.callback(server.stop)
            return server

        print("Setting up:")
        sqlite_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        sqlite = serve("sqlite", sqlite_url, "memory://")
        library = {piece: serve_library(piece, sqlite_url, "memory://") for piece in LIBRARY_PIECES}
        pg: Target | None = None
        if skip_reason is None:
            pg_url = cleanup.enter_context(postgres_database(args.postgres_url))
            redis_url = cleanup.enter_context(own_redis_keys(args.redis_url))
            pg = serve("postgresql", pg_url, redis_url)
        else:
            print(f"  PostgreSQL + Redis variants skipped: {skip_reason}")

        load = LoadGenerator(workdir, args.connections, wrk_cpu)
        report = measure(sqlite, pg, library, load, args.rounds, args.duration, args.warmup)
        if pg is not None:
            print("Restart: 4 workers, 40 keys used once, gunicorn stopped and started...")
            report["restart"] = measure_restart(pg[1], redis_url, workdir)
            print("Rotation: 4 workers, 40 keys, KEY_VERIFIER_SECRET rotated with a fallback...")
            report["rotation"] = measure_rotation(pg[1], redis_url, workdir)
            print("Sign-in storm: 50 unknown emails from 25 addresses, an API client beside...")
            report["storm"] = measure_storm(pg[1], redis_url, workdir)
        return report


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # Unwind like Ctrl-C does, so gunicorn is stopped and the PostgreSQL database dropped.
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
