"""Driving a variant with wrk, and reading what wrk measured.

wrk runs one thread, pinned to its own core. The script it runs is ``load.lua``, filled in
per variant: it rotates through the variant's keys, counts every HTTP status, and its
``done()`` hook prints wrk's figures as one JSON line (requests, p50 and p99 from wrk's
latency histogram, "Non-2xx or 3xx responses", socket errors), so a run full of 401 or 429
where 200 was expected is flagged, and nothing parses wrk's text. Each run also reads the
worker's CPU time from ``/proc``: CPU microseconds per request hardly move when other
processes load the machine, which requests per second do.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from servers import pinned
from variants import Variant

LUA_TEMPLATE = Template((Path(__file__).parent / "load.lua").read_text())
RESULT_PREFIX = "BENCH_RESULT "


@dataclass
class Turn:
    """What one wrk run of one variant measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    non_2xx: int
    socket_errors: dict[str, int]
    worker_cpu_s: float = 0.0

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_us(self) -> float:
        """The worker's CPU time per request, in microseconds (0.0 when unknown)."""
        return self.worker_cpu_s / self.requests * 1e6 if self.requests else 0.0


@dataclass
class LoadGenerator:
    """wrk with its connections and core, and the script it has written per variant."""

    workdir: Path
    connections: int
    cpu: int | None
    scripts: dict[str, Path] = field(default_factory=dict)

    def run(self, variant: Variant, seconds: int) -> Turn:
        """Drive ``variant`` with wrk for ``seconds`` and return what it measured."""
        if variant.id not in self.scripts:
            self.scripts[variant.id] = write_lua(variant, self.workdir)
        command = [
            "wrk", "--threads", "1", "--connections", str(self.connections),
            "--duration", f"{seconds}s", "--timeout", "10s",
            "--script", str(self.scripts[variant.id]), variant.server.url,
        ]  # fmt: skip
        cpu_before = variant.server.worker_cpu_seconds()
        completed = subprocess.run(
            pinned(command, self.cpu),
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
        )
        worker_cpu_s = variant.server.worker_cpu_seconds() - cpu_before
        for line in completed.stdout.splitlines():
            if line.startswith(RESULT_PREFIX):
                return parse_result(line.removeprefix(RESULT_PREFIX), max(worker_cpu_s, 0.0))
        raise RuntimeError(
            f"wrk gave no result for {variant.label} (exit {completed.returncode}):\n"
            f"{completed.stdout}\n{completed.stderr}"
        )


def require_wrk() -> str:
    """The path of wrk, or exit saying how to install it."""
    path = shutil.which("wrk")
    if path is None:
        sys.exit("bench: wrk is not installed. On Debian or Ubuntu: apt-get install wrk")
    return path


def write_lua(variant: Variant, workdir: Path) -> Path:
    """Write the wrk script that sends ``variant``'s requests, rotating through its keys."""
    path = workdir / f"variant-{variant.id}.lua"
    path.write_text(
        LUA_TEMPLATE.substitute(
            label=variant.label,
            method=lua_string(variant.method),
            path=lua_string(variant.path),
            body=lua_string(variant.body),
            keys=", ".join(lua_string(key) for key in variant.keys),
        )
    )
    return path


def lua_string(value: str | None) -> str:
    """A Lua literal for an ASCII string (JSON's escapes are Lua's too), or nil."""
    return "nil" if value is None else json.dumps(value, ensure_ascii=True)


def parse_result(text: str, worker_cpu_s: float) -> Turn:
    """The Turn that the Lua ``done()`` hook's JSON line describes."""
    raw = json.loads(text)
    return Turn(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        statuses={int(status): count for status, count in raw["statuses"].items()},
        non_2xx=raw["non_2xx"],
        socket_errors=raw["socket_errors"],
        worker_cpu_s=worker_cpu_s,
    )
