"""``make bench-scale``: the product's cost at 10,000, 100,000 and 1,000,000 keys.

For each size up to ``SCALE_MAX`` (``--max``): a fresh PostgreSQL database filled by COPY
(dataset.py), four gunicorn workers on it with Redis and the real role budgets (fleet.py),
each kind of request driven with wrk (traffic.py), then the long commands (commands.py).
Prints one table per size and writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # bench/: fixtures, servers

import psycopg
import redis
from commands import measure_commands
from dataset import ADMIN_EMAIL, PASSWORD, build
from fixtures import (
    KEY_PREFIX,
    dispose,
    make_app,
    migrate,
    own_redis_keys,
    postgres_database,
    services_unavailable,
)
from fleet import fleet_cpu_seconds, sign_in, start_fleet, worker_rss_mib
from load import require_wrk
from machine import machine_info
from servers import PROJECT_ROOT, clean_environment
from traffic import drive, kinds

SIZES = ((10_000, 1_000), (100_000, 10_000), (1_000_000, 100_000))  # (keys, users)
RESULTS = PROJECT_ROOT / "bench" / "results" / "scale.json"
TABLES = ("users", "api_keys", "audit_events", "key_usage")


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=int(os.environ.get("SCALE_MAX", 1_000_000)))
    parser.add_argument("--duration", type=int, default=5, help="seconds of wrk per kind")
    # Twice the measured run: wrk's threads each cycle the kind's requests from the first, so
    # every request measured has been sent before (its key used, its record cached).
    parser.add_argument(
        "--warmup", type=int, default=10, help="seconds of each kind, not measured, before it"
    )
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    return parser.parse_args()


def main() -> int:
    """Measure every size up to ``--max``; 1 when a service or wrk is missing."""
    args = parse_args()
    clean_environment()
    wrk = require_wrk()
    problem = services_unavailable(args.postgres_url, args.redis_url)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    sizes = [size for size in SIZES if size[0] <= args.max]
    results = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
               "machine": machine_info(wrk, None), "sizes": []}  # fmt: skip
    for keys, users in sizes:
        result = measure_size(keys, users, args)
        print_table(result)
        results["sizes"].append(result)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"Results: {RESULTS.relative_to(PROJECT_ROOT)}")
    return 0


def measure_size(keys: int, users: int, args: argparse.Namespace) -> dict:
    """One size: build, serve, drive, measure."""
    print(f"\n== {keys:,} keys over {users:,} users", flush=True)
    with (
        postgres_database(args.postgres_url) as url,
        own_redis_keys(args.redis_url) as redis_url,
        tempfile.TemporaryDirectory() as workdir,
    ):
        app = make_app(url, redis_url)
        migrate(app)
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        built = build(app, dsn, keys, users)
        dispose(app)
        print(f"  built in {built.seconds:.0f} s: {built.rows}", flush=True)
        fleet = start_fleet(url, redis_url, Path(workdir))
        try:
            user_cookie = sign_in(fleet, built.busiest_owner_email, PASSWORD)
            admin_cookie = sign_in(fleet, ADMIN_EMAIL, PASSWORD)
            measured = {}
            redis_mib = 0.0
            for kind in kinds(built, user_cookie, admin_cookie):
                # Steady state: the kind's keys and pages once through every cache (Redis's
                # records, PostgreSQL's pages), as in a server that has been up a while;
                # a key's first use is make bench's restart and new-key rows.
                if args.warmup:
                    drive(fleet.url, kind, args.warmup, Path(workdir))
                cpu_before = fleet_cpu_seconds(fleet)
                turn = drive(fleet.url, kind, args.duration, Path(workdir))
                cpu = fleet_cpu_seconds(fleet) - cpu_before
                turn["rps"] = round(turn["requests"] / (turn["duration_us"] / 1e6), 1)
                turn["cpu_us"] = round(cpu / max(1, turn["requests"]) * 1e6, 1)
                measured[kind.name] = turn
                # After each kind, not once at the end: the keys' records expire a minute
                # after their last request, before the console's kinds are done.
                redis_mib = max(redis_mib, redis_memory_mib(redis_url))
                print(f"  {kind.name}: {turn['rps']} req/s {turn['statuses']}", flush=True)
            rss = worker_rss_mib(fleet)
        finally:
            fleet.stop()
        sizes = table_sizes(dsn)
        commands = measure_commands(url, redis_url)
    return {"keys": keys, "users": users, "rows": built.rows, "build_seconds":
            round(built.seconds, 1), "requests": measured, "worker_rss_mib": rss,
            "redis_mib": redis_mib, "tables_mib": sizes, "commands": commands}  # fmt: skip


def redis_memory_mib(url: str) -> float:
    """What the run's own Redis keys hold (MEMORY USAGE of each, summed), MiB."""
    client = redis.Redis.from_url(url)
    total = sum(
        client.memory_usage(name) or 0
        for pattern in (f"{KEY_PREFIX}:*", f"*/{KEY_PREFIX}/*")
        for name in client.scan_iter(match=pattern, count=1000)
    )
    client.close()
    return round(total / 2**20, 2)


def table_sizes(dsn: str) -> dict[str, dict[str, float]]:
    """Each table's heap and index size, MiB."""
    sizes = {}
    with psycopg.connect(dsn) as connection:
        for table in TABLES:
            heap, indexes = connection.execute(
                "SELECT pg_table_size(%s), pg_indexes_size(%s)", (table, table)
            ).fetchone()
            sizes[table] = {"table": round(heap / 2**20, 1), "indexes": round(indexes / 2**20, 1)}
    return sizes


def print_table(result: dict) -> None:
    """The size's table: requests, memory, storage, commands."""
    livez = result["requests"]["livez"]["rps"] or 1
    print(f"\n{result['keys']:,} keys, {result['users']:,} users (built in "
          f"{result['build_seconds']} s)")  # fmt: skip
    print(f"| {'request':<22} | {'req/s':>7} | {'ratio':>5} | {'p50 ms':>7} | {'p99 ms':>7} "
          f"| {'CPU µs/req':>10} | statuses |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, turn in result["requests"].items():
        print(f"| {name:<22} | {turn['rps']:>7,.0f} | {turn['rps'] / livez:>5.2f} "
              f"| {turn['p50_us'] / 1000:>7.1f} | {turn['p99_us'] / 1000:>7.1f} "
              f"| {turn['cpu_us']:>10,.0f} | {turn['statuses']} |")  # fmt: skip
    print(f"workers' RSS after the run (MiB): {result['worker_rss_mib']}; "
          f"Redis (the run's keys, at most): {result['redis_mib']} MiB")  # fmt: skip
    for table, size in result["tables_mib"].items():
        print(f"  {table}: {result['rows'][table]:,} rows, table {size['table']} MiB, "
              f"indexes {size['indexes']} MiB")  # fmt: skip
    for name, figures in result["commands"].items():
        print(f"  {name}: {figures['seconds']} s, peak {figures['peak_mib']} MiB")


if __name__ == "__main__":
    sys.exit(main())
