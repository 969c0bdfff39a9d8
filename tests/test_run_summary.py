"""The closing lines of ``make test`` say what really ran (tests/support/summary.py)."""

from __future__ import annotations

import pytest

from support.summary import PROPERTY, closing_lines


def ran(outcome: str, *services: str) -> pytest.TestReport:
    return pytest.TestReport(
        "tests/test_x.py::test_x", ("tests/test_x.py", 1, "test_x"), {}, outcome, None, "call",
        user_properties=[(PROPERTY, list(services))],
    )  # fmt: skip


def skipped(reason: str) -> pytest.TestReport:
    longrepr = ("tests/test_x.py", 1, f"Skipped: {reason}")
    return pytest.TestReport(
        "tests/test_x.py::test_y", ("tests/test_x.py", 1, "test_y"), {}, "skipped", longrepr,
        "setup",
    )  # fmt: skip


def uncollected(path: str) -> pytest.CollectReport:
    return pytest.CollectReport(path, "failed", "ImportError", [])


def test_nothing_collected_is_no_run_and_claims_nothing():
    assert closing_lines({}, 2, None) == ["No test ran (nothing collected), in 2 s."]


def test_a_collection_error_alone_is_no_run():
    lines = closing_lines({"error": [uncollected("tests/test_x.py")]}, 3, 2)
    assert lines == ["No test ran (1 error), in 3 s."]


def test_a_clean_run_names_its_counts_services_and_time():
    stats = {"passed": [ran("passed", "SQLite"), ran("passed", "PostgreSQL", "Redis")]}
    assert closing_lines(stats, 125, 2) == [
        "Ran 2 tests in 2 min 05 s on 2 parallel workers: 2 passed.",
        "Services used: SQLite, PostgreSQL, Redis.",
        "Nothing skipped.",
    ]


def test_skips_are_counted_by_reason_and_services_only_from_tests_that_ran():
    stats = {
        "passed": [ran("passed", "SQLite")],
        "failed": [ran("failed", "gunicorn")],
        "skipped": [skipped("Redis: turned off"), skipped("Redis: turned off")],
    }
    assert closing_lines(stats, 9, None) == [
        "Ran 2 tests in 9 s on one process: 1 passed, 1 failed, 2 skipped.",
        "Services used: SQLite, gunicorn.",
        "Skipped 2 tests: 2 for Redis: turned off",
    ]


def test_a_file_that_failed_to_collect_is_never_nothing_skipped():
    stats = {"passed": [ran("passed")], "error": [uncollected("tests/test_broken.py")]}
    lines = closing_lines(stats, 4, 2)
    assert "Not run: the tests in tests/test_broken.py, which failed to collect." in lines
    assert "Nothing skipped." not in lines
