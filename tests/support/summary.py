"""The closing lines of a run: how many tests ran and how, on which services, what skipped.

Counted from the terminal reporter's results in the process that prints them, so under
pytest-xdist they cover every worker. "Nothing skipped" is said only when tests ran, none
skipped and every file was collected; otherwise the lines say what did not run, and why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import pytest

# In the order the lines name them.
SERVICES = ("SQLite", "PostgreSQL", "Redis", "gunicorn", "Chromium")
# A test uses a service when it asks for one of these fixtures (directly or through another)...
SERVICE_FIXTURES = {
    "SQLite": {"sqlite_template"},
    "PostgreSQL": {"postgres_url"},
    "Redis": {"redis_url", "own_redis"},
    "gunicorn": {"gunicorn", "console_site", "shared_console"},
    "Chromium": {"browser", "browser_with_history_cache", "browser_context"},
}
# ...or carries one of these markers (tests that start gunicorn or Chromium by themselves).
SERVICE_MARKERS = {"gunicorn": "gunicorn", "browser": "Chromium"}
# Where results sit in the terminal reporter's stats; a test counts once per outcome.
RAN = ("passed", "failed", "xfailed", "xpassed")
PROPERTY = "services"


def services_of(item: pytest.Item) -> list[str]:
    """The outside services ``item`` uses, judged from its fixtures, markers and parameters."""
    fixtures = set(getattr(item, "fixturenames", ()))
    found = {service for service, names in SERVICE_FIXTURES.items() if fixtures & names}
    markers = {mark.name for mark in item.iter_markers()}
    found |= {service for marker, service in SERVICE_MARKERS.items() if marker in markers}
    callspec = getattr(item, "callspec", None)
    database = callspec.params.get("database_url") if callspec is not None else None
    if database == "sqlite":
        found.add("SQLite")
    elif database == "postgresql":
        found.add("PostgreSQL")
    return [service for service in SERVICES if service in found]


def _used(reports: Iterable[pytest.TestReport]) -> list[str]:
    used: set[str] = set()
    for report in reports:
        for name, value in getattr(report, "user_properties", ()):
            if name == PROPERTY:
                used.update(value)
    return [service for service in SERVICES if service in used]


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, (tuple, list)) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def closing_lines(stats: dict[str, Sequence], seconds: float, workers: int | None) -> list[str]:
    """What the run did, from ``TerminalReporter.stats``; ``workers`` is xdist's count."""
    counted = (*RAN, "skipped", "error", "deselected")
    counts = {outcome: len(stats.get(outcome, ())) for outcome in counted}
    ran = sum(counts[outcome] for outcome in RAN)
    where = f"{workers} parallel workers" if workers else "one process"
    outcomes = ", ".join(f"{count} {outcome}" for outcome, count in counts.items() if count)
    if ran == 0:
        return [f"No test ran ({outcomes or 'nothing collected'}), in {_duration(seconds)}."]
    lines = [f"Ran {ran} tests in {_duration(seconds)} on {where}: {outcomes}."]
    ran_reports = [report for outcome in RAN for report in stats.get(outcome, ())]
    lines.append("Services used: " + (", ".join(_used(ran_reports)) or "none") + ".")
    # A file that failed to import has tests that neither ran nor skipped.
    uncollected = [report for report in stats.get("error", ()) if _is_collection(report)]
    skipped = Counter(_skip_reason(report) for report in stats.get("skipped", ()))
    if uncollected:
        names = ", ".join(sorted(report.nodeid for report in uncollected))
        lines.append(f"Not run: the tests in {names}, which failed to collect.")
    if skipped:
        parts = [f"{count} for {reason}" for reason, count in sorted(skipped.items())]
        lines.append(f"Skipped {counts['skipped']} tests: " + "; ".join(parts))
    elif not uncollected:
        lines.append("Nothing skipped.")
    return lines


def _is_collection(report: object) -> bool:
    return not isinstance(report, pytest.TestReport)
