"""Nothing a process keeps per caller grows past a stated cap (app/bounds.py)."""

from __future__ import annotations

import gc
import importlib
import inspect
import pkgutil
import threading
import tracemalloc
from datetime import date
from typing import Any

from limits import parse

import app
from app.api.gate.local import TouchSchedule
from app.bounds import BOUNDED_OTHERWISE, BOUNDS, FIXED_ARGUMENT_CACHES
from app.keys.unknown import UnknownKeyIds
from app.ratelimit.windows import MovingWindows
from app.usage import UsageCounter
from app.usage.networks import NetworkWatch, network_of

CALLERS = 200_000
FEW = 100
MAX_GROWTH = 20 * 1024 * 1024


def _functools_caches() -> dict[str, Any]:
    """Every lru_cache / cache at module level in app/, by dotted name."""
    found = {}
    for module_info in pkgutil.walk_packages(app.__path__, "app."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            # Looked up statically: module-level proxies (current_app) need an app context.
            cached = inspect.getattr_static(value, "cache_parameters", None) is not None
            if cached and value.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_functools_cache_in_app_is_listed_with_its_maxsize():
    bounds = {bound.name: bound.cap for bound in BOUNDS}
    caches = _functools_caches()
    assert caches  # the walk found them
    for name, cache in caches.items():
        maxsize = cache.cache_parameters()["maxsize"]
        if name in FIXED_ARGUMENT_CACHES:
            continue
        assert maxsize is not None, f"{name} has no maxsize and is not in app/bounds.py"
        assert bounds.get(name) == maxsize, f"{name}: list it in app/bounds.py with {maxsize}"


def test_every_listed_structure_exists():
    for name in [bound.name for bound in BOUNDS] + list(FIXED_ARGUMENT_CACHES):
        module, _, attribute = name.rpartition(".")
        assert hasattr(importlib.import_module(module), attribute), name
    assert all(bound.cap > 0 for bound in BOUNDS)
    assert len(BOUNDED_OTHERWISE) == len(set(BOUNDED_OTHERWISE))


class Structures:
    """One of each per-caller structure a worker holds, fed as requests feed them."""

    def __init__(self) -> None:
        self.windows = MovingWindows()
        self.unknown = UnknownKeyIds()
        self.touches = TouchSchedule()
        self.networks = NetworkWatch()
        self.usage = UsageCounter(self._database_away, every=3600)
        self.budget = parse("100 per minute")

    @staticmethod
    def _database_away(counts: dict[tuple[int, date], list[int]]) -> None:
        raise ConnectionError("the database is away: counts are held, up to their bound")

    def feed(self, first: int, last: int) -> None:
        for n in range(first, last):
            address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
            self.windows.hit_and_window(self.budget, "api", str(n))
            self.windows.hit_and_window(self.budget, "failed-check", address)
            self.unknown.add(f"unknown{n:09d}")
            self.touches.due(n)
            if n % 16 == 0:  # parsing addresses is slow: enough of them to pass its cap
                network_of(address)
            self.networks.is_new_here(n, f"{address.rpartition('.')[0]}.0/24")
            self.usage.count(n, 200)

    def sizes(self) -> dict[str, int]:
        return {
            "app.ratelimit.windows.MovingWindows": len(self.windows) // 2,  # two names above
            "app.keys.unknown.UnknownKeyIds": len(self.unknown),
            "app.usage.UsageCounter": len(self.usage),
            "app.usage.networks.network_of": network_of.cache_info().currsize,
            "app.usage.networks.NetworkWatch": len(self.networks),
            "app.api.gate.local.TouchSchedule": len(self.touches),
        }


def test_200000_distinct_callers_stay_at_the_caps_in_bounded_memory(caplog):
    structures = Structures()
    network_of.cache_clear()
    try:
        structures.feed(0, FEW)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        structures.feed(FEW, CALLERS)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        caps = {bound.name: bound.cap for bound in BOUNDS}
        for name, size in structures.sizes().items():
            assert size <= caps[name], name
        assert grown < MAX_GROWTH, f"{grown / 2**20:.1f} MB for {CALLERS:,} callers"
    finally:
        structures.usage.close()


def test_usage_counts_at_their_bound_wake_the_writer_before_its_interval(monkeypatch):
    monkeypatch.setattr("app.usage.MAX_PENDING", 10)
    written = threading.Event()
    batches: list[int] = []

    def write(counts: dict[tuple[int, date], list[int]]) -> None:
        batches.append(len(counts))
        written.set()

    usage = UsageCounter(write, every=3600)  # an hour: only the bound can wake it
    try:
        for key_pk in range(11):
            usage.count(key_pk, 200)
        assert written.wait(30)
        assert batches[0] >= 10
    finally:
        usage.close()
