"""What a run prints and writes: the intro, the table, the other checks, the JSON results.

Results go to ``bench/results/latest.json`` and a timestamped copy.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from fixtures import KEYS_PER_USER, USERS
from servers import UNLIMITED
from summary import (
    FIRST_REQUEST_MS,
    GOALS,
    KEEP_GAIN,
    STORM_P99_MS,
    restart_goals,
    rotation_goals,
    storm_goal,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def settings(args: argparse.Namespace) -> dict[str, Any]:
    """The run's settings, as the report records them."""
    return {
        "rounds": args.rounds,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "connections": args.connections,
        "gunicorn": "gunicorn.conf.py (access log on), --workers 1 (sync)",
        "users": USERS,
        "keys_per_user": KEYS_PER_USER,
        "role_rate_limits": UNLIMITED,
        "failed_key_rate_limit": UNLIMITED,
    }


def print_intro(args: argparse.Namespace, plan: tuple[int, int] | None) -> None:
    """Say what is about to be measured, and how."""
    print(
        f"Benchmark: {args.rounds} rounds x {args.duration}s per variant, "
        f"{args.connections} wrk connections, one sync gunicorn worker."
    )
    print(
        f"Role budgets and FAILED_KEY_RATE_LIMIT raised to {UNLIMITED!r} so that the 200 and "
        f"401 paths are measured, not 429."
    )
    if plan:
        print(f"gunicorn pinned to CPU {plan[0]}, wrk to CPU {plan[1]} (taskset).")
    else:
        print("Not pinned: taskset or a second core is missing; figures are noisier.")


def print_report(report: dict[str, Any]) -> None:
    """The table, then the first-request time, revocation, memory and goals."""
    print()
    print_table(report["variants"])
    print(
        "cpu us: the worker's own CPU time per request (/proc/<pid>/stat), which other "
        "processes' load hardly moves;\nx cpu: the baseline's cpu us over the variant's, "
        "what x base would be on an otherwise idle core (worker only: not PostgreSQL, Redis)."
    )
    print()
    first_use = report["first_use"]
    print(
        f"5   first request of a never-used key (SQLite): median {first_use['median_ms']:.1f} ms "
        f"over {len(first_use['samples_ms'])} keys; its second request "
        f"{first_use['second_request_median_ms']:.1f} ms (statuses {first_use['statuses']})"
    )
    if not report["postgres"]["ran"]:
        print(f"6   PostgreSQL + Redis: skipped ({report['postgres']['skipped_because']})")
    for name, outcome in report["revocation"].items():
        print(
            f"Revocation ({name}): {outcome['result']} "
            f"(before {outcome['before']}, very next request after revoking {outcome['after']})"
        )
    memory = report["memory"]
    for name, after in memory["worker_rss_kib_after_run"].items():
        warm = memory["worker_rss_kib_after_warmup"][name]
        print(f"Worker RSS ({name}): {mib(warm)} after warm-up, {mib(after)} after the run")
    print_library(report["variants"])
    if "restart" in report:
        print_restart(report["restart"])
    if "rotation" in report:
        print_rotation(report["rotation"])
    if "storm" in report:
        print_storm(report["storm"])
    print(
        f"Goals: GET /api/me >= {GOALS['valid_get']}, POST >= {GOALS['valid_post']}, invalid "
        f"keys >= {GOALS['invalid']}, PostgreSQL+Redis >= {GOALS['postgres']} of the baseline's "
        f"req/s; restart, rotation and new keys under {FIRST_REQUEST_MS:.0f} ms with no bcrypt; "
        f"the API's p99 under {STORM_P99_MS:.0f} ms in a sign-in storm "
        f"(a MISS is reported, never a failure)."
    )


def print_library(rows: list[dict[str, Any]]) -> None:
    """What each hand-written piece buys over the library's version, in this run."""
    pieces = [row for row in rows if row.get("versus")]
    if not pieces:
        return
    print()
    print(f"Hand-written pieces against the library's version (kept at >= {KEEP_GAIN:.0%}):")
    for row in pieces:
        verdict = "KEEP" if row["keep"] else "DROP (use the library)"
        print(
            f"  {row['piece']:7} {row['id']} vs {row['versus']}: {row['gain']:+.1%} req/s, "
            f"{row['worker_cpu_us_per_request']:.0f} us cpu -> {verdict}"
        )


def print_restart(restart: dict[str, Any]) -> None:
    """The restart figures and their goals."""
    goals = restart_goals(restart)

    print()
    print(
        f"R   restart ({restart['workers']} workers, {restart['keys']} keys used once, "
        f"gunicorn restarted), first request per key: {latencies(restart['after_restart_ms'])}; "
        f"bcrypt checks in the fleet: {restart['bcrypt_checks_after_restart']} "
        f"[{'PASS' if goals['after_restart'] else 'MISS'}]"
    )
    print(
        f"R'  the same with the keys' cached records gone from Redis too: "
        f"{latencies(restart['after_restart_without_cached_records_ms'])}"
    )
    print(
        f"5'  a new key's very first request (4 workers, PostgreSQL + Redis): "
        f"{latencies(restart['new_key_first_request_ms'])} "
        f"[{'PASS' if goals['new_key'] else 'MISS'}]; bcrypt checks: "
        f"{restart['bcrypt_checks_cold_and_new_keys']}"
    )


def latencies(figures: dict[str, float]) -> str:
    """p50, p99 and max of a set of latencies, in milliseconds."""
    return f"p50 {figures['p50']:.1f} ms, p99 {figures['p99']:.1f} ms, max {figures['max']:.1f} ms"


def print_rotation(rotation: dict[str, Any]) -> None:
    """The verifier-secret rotation figures and their goals."""
    goals = rotation_goals(rotation)
    print(
        f"V   KEY_VERIFIER_SECRET rotated, old one a fallback ({rotation['workers']} workers, "
        f"{rotation['keys']} keys), first request per key: "
        f"{latencies(rotation['first_request_after_rotation_ms'])}; bcrypt checks: "
        f"{rotation['bcrypt_checks_after_rotation']} "
        f"[{'PASS' if goals['after_rotation'] else 'MISS'}]"
    )
    print(
        f"V'  mid-rollout, {rotation['alternating_requests']} requests alternating between a "
        f"host on the new secret and one on the old: bcrypt checks "
        f"{rotation['bcrypt_checks_alternating']} [{'PASS' if goals['alternating'] else 'MISS'}]"
    )


def print_storm(storm: dict[str, Any]) -> None:
    """The sign-in storm figures and its goal."""
    answers = storm["sign_in_statuses"].items()
    statuses = ", ".join(f"{count} x {status}" for status, count in answers)
    print(
        f"S   {storm['sign_ins']} failed sign-ins from {storm['addresses']} addresses at once "
        f"({statuses}, over {storm['storm_seconds']:.1f} s); meanwhile {storm['api_requests']} "
        f"GET /api/me: {latencies(storm['api_ms'])} "
        f"[{'PASS' if storm_goal(storm) else 'MISS'}]"
    )


def print_table(rows: list[dict[str, Any]]) -> None:
    """The results table, goals alongside, and a loud warning for unexpected statuses."""
    header = (
        f"{'':3} {'variant':38} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'x base':>7}  {'goal':11} {'non-2xx':>8}  {'answers':8} {'cpu us':>7} {'x cpu':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        goal = ""
        if row["goal"] is not None:
            goal = f">={row['goal']:.2f} {'PASS' if row['goal_met'] else 'MISS'}"
        answers = "MIXED!" if row["unexpected"] else f"all {row['expected_status']}"
        print(
            f"{row['id']:3} {row['label']:38} {row['rps']:8,.0f} {row['p50_ms']:7.2f} "
            f"{row['p99_ms']:7.2f} {row['ratio']:7.2f}  {goal:11} {row['non_2xx']:8,}  "
            f"{answers:8} {row['worker_cpu_us_per_request']:7.0f} {row['cpu_ratio']:6.2f}"
        )
    for row in rows:
        if row["empty_turns"]:
            print(
                f"\n!!! variant {row['id']} ({row['label']}): {row['empty_turns']} turn(s) "
                f"completed no request at all. Is the server alive? !!!"
            )
        if row["unexpected"]:
            print(
                f"\n!!! variant {row['id']} ({row['label']}): {row['unexpected']:,} of "
                f"{row['requests']:,} answers were not {row['expected_status']} "
                f"(statuses: {row['statuses']}). These figures measure the wrong path. !!!"
            )
        errors = {kind: count for kind, count in row["socket_errors"].items() if count}
        if errors:
            print(f"\nnote: variant {row['id']}: socket errors {errors}")


def mib(kib: int | None) -> str:
    """A KiB figure as MiB for people."""
    return "unknown" if kib is None else f"{kib / 1024:.1f} MiB"


def write_results(report: dict[str, Any]) -> Path:
    """Write the report as bench/results/latest.json (git keeps the earlier ones)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    draft = RESULTS_DIR / "latest.json.tmp"
    draft.write_text(json.dumps(report, indent=2) + "\n")
    # Write then rename, so a reader never sees half a file.
    return draft.replace(RESULTS_DIR / "latest.json")
