"""From turns to figures: one row per variant, its goal, and whether the run is sound.

Each variant's ratio is taken against the baseline (``GET /livez``) of the same round; a row
holds the median over rounds of each figure. Goals are reported with PASS or MISS; a miss is
a measurement, not a failure.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from load import Turn
from variants import Variant

GOALS = {"valid_get": 0.85, "valid_post": 0.80, "invalid": 0.9, "postgres": 0.70}
# A hand-written piece stays only where it buys at least this much over the library's way.
KEEP_GAIN = 0.03
# Restart and first-request goals (milliseconds; bcrypt checks after a restart).
FIRST_REQUEST_MS = 20.0
# A genuine API client's p99 while 50 failed sign-ins arrive at once (milliseconds).
STORM_P99_MS = 50.0
# How a failed sign-in may be answered: a wrong email or password, or over a budget.
SIGN_IN_REFUSALS = {422, 429}


def summarize(variants: list[Variant], turns: dict[str, list[Turn]]) -> list[dict[str, Any]]:
    """One row per variant: medians over rounds, ratios against each round's baseline."""
    baseline = turns[variants[0].id]
    rows = []
    for variant in variants:
        own = turns[variant.id]
        pairs = list(zip(own, baseline, strict=True))
        ratios = [turn.rps / base.rps if base.rps else 0.0 for turn, base in pairs]
        # CPU per request is inverted: a cheaper request is a higher ratio, like req/s.
        cpu_ratios = [base.cpu_us / turn.cpu_us if turn.cpu_us else 0.0 for turn, base in pairs]
        statuses: Counter[int] = Counter()
        socket_errors: Counter[str] = Counter()
        for turn in own:
            statuses.update(turn.statuses)
            socket_errors.update(turn.socket_errors)
        ratio = statistics.median(ratios)
        requests = sum(turn.requests for turn in own)
        goal = GOALS.get(variant.goal) if variant.goal else None
        rows.append(
            {
                "id": variant.id,
                "label": variant.label,
                "server": variant.server.name,
                "rps": round(statistics.median(turn.rps for turn in own), 1),
                "p50_ms": round(statistics.median(turn.p50_ms for turn in own), 3),
                "p99_ms": round(statistics.median(turn.p99_ms for turn in own), 3),
                "ratio": round(ratio, 3),
                "worker_cpu_us_per_request": round(statistics.median(t.cpu_us for t in own), 1),
                "cpu_ratio": round(statistics.median(cpu_ratios), 3),
                "goal": goal,
                "goal_met": None if goal is None else ratio >= goal,
                "requests": requests,
                "expected_status": variant.expected_status,
                "non_2xx": sum(turn.non_2xx for turn in own),
                "unexpected": requests - statuses[variant.expected_status],
                "empty_turns": sum(1 for turn in own if turn.requests == 0),
                "statuses": {str(status): count for status, count in sorted(statuses.items())},
                "socket_errors": dict(socket_errors),
                "rounds": [round_figures(turn, r) for turn, r in zip(own, ratios, strict=True)],
                "versus": variant.versus,
                "piece": variant.piece,
            }
        )
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        if row["versus"] in by_id:
            row["gain"], row["keep"] = gain(by_id[row["versus"]], row)
    return rows


def gain(hand_written: dict[str, Any], library: dict[str, Any]) -> tuple[float, bool]:
    """What the hand-written piece buys over the library's, and whether it is enough.

    The median over rounds of the ratio of their ratios, minus one (0.05: 5% more requests
    per second, against the same round's baseline).
    """
    pairs = zip(hand_written["rounds"], library["rounds"], strict=True)
    gains = [mine["ratio"] / theirs["ratio"] - 1 for mine, theirs in pairs if theirs["ratio"]]
    value = statistics.median(gains) if gains else 0.0
    return round(value, 3), value >= KEEP_GAIN


def round_figures(turn: Turn, ratio: float) -> dict[str, Any]:
    """One round of one variant, as the report records it."""
    return {
        "rps": round(turn.rps, 1),
        "ratio": round(ratio, 3),
        "worker_cpu_us_per_request": round(turn.cpu_us, 1),
        "p50_ms": round(turn.p50_ms, 3),
        "p99_ms": round(turn.p99_ms, 3),
        "requests": turn.requests,
        "non_2xx": turn.non_2xx,
    }


def restart_goals(restart: dict[str, Any]) -> dict[str, bool]:
    """The restart goals: every first request under 20 ms, and no bcrypt check at all."""
    return {
        "after_restart": restart["after_restart_ms"]["max"] < FIRST_REQUEST_MS
        and restart["bcrypt_checks_after_restart"] == 0,
        "new_key": restart["new_key_first_request_ms"]["max"] < FIRST_REQUEST_MS,
    }


def rotation_goals(rotation: dict[str, Any]) -> dict[str, bool]:
    """The rotation goals: every first request under 20 ms; no bcrypt then or mid-rollout."""
    return {
        "after_rotation": rotation["first_request_after_rotation_ms"]["max"] < FIRST_REQUEST_MS
        and rotation["bcrypt_checks_after_rotation"] == 0,
        "alternating": rotation["bcrypt_checks_alternating"] == 0,
    }


def storm_goal(storm: dict[str, Any]) -> bool:
    """The sign-in storm goal: the genuine API client's p99 stays under 50 ms."""
    return storm["api_ms"]["p99"] < STORM_P99_MS


def exit_status(report: dict[str, Any]) -> int:
    """1 when the measurement is wrong (unexpected answers) or revocation failed, else 0."""
    broken = any(row["unexpected"] or row["empty_turns"] for row in report["variants"])
    broken = broken or report["first_use"]["statuses"] != [200]
    if "storm" in report:
        answered = {int(status) for status in report["storm"]["sign_in_statuses"]}
        broken = broken or not answered <= SIGN_IN_REFUSALS
    revoked = all(outcome["result"] == "PASS" for outcome in report["revocation"].values())
    return 1 if broken or not revoked else 0
