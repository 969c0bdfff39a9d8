"""Instructions per request for each of make bench's SQLite variants, counted by callgrind.

``make bench`` measures requests per second on a shared machine, where the figures move
with everything else the machine does. Instruction counts do not: valgrind's callgrind
counts the same instructions whatever else runs, so one change can be compared with the
code before it on any machine, at any time, in a few minutes.

The app is built as bench/servers.py serves it (the same settings, the access and error
logs configured as gunicorn.conf.py does, Prometheus in multiprocess mode, the worker's
warm-up) on a fresh SQLite database from bench/fixtures.py, and each variant is called
through WSGI in this process: no gunicorn, no HTTP, so the figures are what the app adds.
Each variant is warmed up, then its requests are counted between two calls of
``os.getppid`` (callgrind dumps its counts at each). Python's hashes are seeded, so two runs
of the same code agree to within a few hundred instructions per request.

    .venv/bin/python bench/instructions.py                 # 100 requests per variant
    .venv/bin/python bench/instructions.py --requests 1000

Needs ``valgrind``. About three minutes with the defaults.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 30  # requests per variant before counting: caches, windows and touches settle
BODY = b'{"key": "value"}'
# (id, label, method, path, which keys, body); the ids are bench/variants.py's.
VARIANTS = [
    ("1", "GET /livez (baseline)", "GET", "/livez", None, None),
    ("2", "GET /api/me, valid keys", "GET", "/api/me", "keys", None),
    ("3", "POST /api/endpoint, valid keys", "POST", "/api/endpoint", "keys", BODY),
    ("4a", "GET /api/me, bad checksum", "GET", "/api/me", "bad_checksum_keys", None),
    ("4b", "GET /api/me, unknown key id", "GET", "/api/me", "unknown_keys", None),
]


def main() -> int:
    """Prepare a database, count each variant under callgrind, print instructions per request."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="counted, per variant")
    parser.add_argument(
        "--database", metavar="DIR", help="keep the database here, and use it again next time"
    )
    parser.add_argument("--serve", metavar="DIR", help=argparse.SUPPRESS)  # the inner run
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve), args.requests)
        return 0
    with tempfile.TemporaryDirectory(prefix="chameleon-instructions-") as workdir:
        work = Path(workdir)
        if args.database:
            kept = Path(args.database)
            if not (kept / "keys.json").exists():
                kept.mkdir(parents=True, exist_ok=True)
                prepare(kept)
            for name in ("bench.db", "keys.json"):
                shutil.copy(kept / name, work / name)
        else:
            prepare(work)
        counts = count(work, args.requests)
    print(f"instructions per request ({args.requests} requests per variant, in process):")
    baseline = counts["1"]
    for (variant, label, *_), per_request in zip(VARIANTS, counts.values(), strict=True):
        more = "" if variant == "1" else f"  (+{per_request - baseline:,.0f} over /livez)"
        print(f"  {variant:>3} {label:<34} {per_request:>12,.0f}{more}")
    return 0


def prepare(work: Path) -> None:
    """A fresh SQLite database with the benchmark's users and keys; the keys in keys.json."""
    from fixtures import dispose, prepare_dataset

    data = prepare_dataset("sqlite", f"sqlite:///{work / 'bench.db'}")
    dispose(data.app)
    keys = {
        "keys": data.keys,
        "bad_checksum_keys": data.bad_checksum_keys,
        "unknown_keys": data.unknown_keys,
    }
    (work / "keys.json").write_text(json.dumps(keys))


def count(work: Path, requests: int) -> dict[str, float]:
    """Run ``serve`` under callgrind; each variant's instructions per counted request."""
    out = work / "callgrind.out"
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
        "--dump-before=getppid", f"--log-file={work / 'valgrind.log'}",
        sys.executable, __file__, "--serve", str(work), "--requests", str(requests),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    with (work / "stderr.log").open("wb") as stderr:
        done = subprocess.run(command, env=env, stderr=stderr, check=False)
    if done.returncode != 0:
        sys.exit(f"the counted run failed:\n{(work / 'stderr.log').read_text()[-3000:]}")
    # Dumps are numbered from 1; the counted requests are between dumps 2k and 2k+1.
    dumps = sorted(work.glob("callgrind.out.*"), key=lambda path: int(path.suffix[1:]))
    totals = [_total(path) for path in dumps]
    return {variant[0]: totals[2 * n + 1] / requests for n, variant in enumerate(VARIANTS)}


def _total(dump: Path) -> int:
    match = re.search(r"^(?:summary|totals): (\d+)", dump.read_text(), re.M)
    if match is None:
        sys.exit(f"no totals in {dump}")
    return int(match.group(1))


def serve(work: Path, requests: int) -> None:
    """The counted run: build the app as gunicorn serves it, then call each variant."""
    import logging.config

    from servers import server_environment

    os.environ.update(server_environment(f"sqlite:///{work / 'bench.db'}", "memory://"))
    metrics = work / "metrics"
    metrics.mkdir()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    from app import logs

    # As gunicorn.conf.py does: its logger installs the factory, then applies the config.
    logs.install_record_factory()
    logging.config.dictConfig(logs.logging_config())
    from app import create_app
    from app.api.key_hook import warm_up

    app = create_app()
    warm_up(app)
    # What depends on the time is held still, so that a run slowed down by callgrind (or by
    # the machine) counts the same: as a busy server sees them, every key was used within
    # the minute ("last used" is written once per key, in the warm-up) and an unknown key
    # id stays known as unknown; the usage counts are written after the run, not by the
    # writer thread every so many seconds.
    gate = app.extensions["api_gate"]
    now = time.monotonic()
    gate.touches.clock = gate.verifier.unknown.clock = lambda: now
    app.extensions["usage_counter"].every = 10**9
    keys = json.loads((work / "keys.json").read_text())
    for _, _, method, path, which, body in VARIANTS:
        environs = [_environ(method, path, key, body) for key in keys.get(which, [None])]
        _drive(app, environs, WARM_UP)
        os.getppid()  # callgrind dumps here: what follows is counted alone
        _drive(app, environs, requests)
        os.getppid()


def _environ(method: str, path: str, key: str | None, body: bytes | None) -> dict[str, Any]:
    from werkzeug.test import EnvironBuilder

    headers = {"Host": "127.0.0.1", "User-Agent": "wrk"}
    if key is not None:
        headers["X-API-Key"] = key
    if body is not None:
        headers["Content-Type"] = "application/json"
    environ = EnvironBuilder(path=path, method=method, headers=headers, data=body).get_environ()
    environ["REMOTE_ADDR"] = "127.0.0.1"
    environ["wsgi.input"] = body or b""  # bytes, made a stream for each request
    return environ


def _drive(app: Any, environs: list[dict[str, Any]], requests: int) -> None:
    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        return None

    for n in range(requests):
        template = environs[n % len(environs)]
        environ = {**template, "wsgi.input": io.BytesIO(template["wsgi.input"])}
        answer = app(environ, start_response)
        try:
            for _ in answer:
                pass
        finally:
            answer.close()  # runs call_on_close: the "last used" write, as gunicorn does


if __name__ == "__main__":
    sys.exit(main())
