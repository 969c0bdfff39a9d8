"""The 30-day usage chart, as numbers an SVG template draws: no JavaScript, no library.

Its axes are drawn beside it in HTML (the first and last day, the scale's top), so their
text keeps its size however the SVG is stretched.
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

WIDTH = 600
HEIGHT = 160
GAP = 2


class Bar(NamedTuple):
    """One day: where its requests bar and its refusals bar stand, and its numbers."""

    date: str
    day: datetime.date
    requests: int
    refused: int
    x: float
    width: float
    requests_height: float
    refused_height: float


class Chart(NamedTuple):
    """The bars, and the scale's top value (a round number at or above the busiest day)."""

    bars: list[Bar]
    top: int
    width: int
    height: int


def usage_chart(days: list[dict[str, Any]]) -> Chart:
    """Bars for ``days`` ({"date", "requests", "refused"}), scaled to the busiest day."""
    top = _round_up(max((day["requests"] for day in days), default=0))
    slot = WIDTH / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        scale = HEIGHT / top
        bars.append(
            Bar(
                date=day["date"],
                day=datetime.date.fromisoformat(day["date"]),
                requests=day["requests"],
                refused=day["refused"],
                x=round(index * slot + GAP / 2, 2),
                width=round(slot - GAP, 2),
                requests_height=round(day["requests"] * scale, 2),
                refused_height=round(day["refused"] * scale, 2),
            )
        )
    return Chart(bars, top, WIDTH, HEIGHT)


def _round_up(value: int) -> int:
    """1, 2 or 5 times a power of ten, at or above ``value`` (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return max(factor * step, 1)
        step *= 10
