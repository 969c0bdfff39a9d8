"""Run schemathesis's command line over a live server's /openapi.json.

The command line, not schemathesis's pytest plugin: its lazy-schema fixture does not work
on pytest 9.2, and the command line runs every phase (examples, coverage, fuzzing,
stateful) and prints each failure with a curl command that reproduces it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Every check that holds for this API whatever data is generated: answers as declared
# (status, content type, body, headers such as X-RateLimit-*, Retry-After and
# WWW-Authenticate), 405 with Allow for undocumented methods, 401 for every operation
# without a key, and input the document calls invalid refused with a 4xx.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "unsupported_method",
    "ignored_auth",
    "negative_data_rejection",
)
MAX_EXAMPLES = 10  # per operation in the fuzzing phase; the other phases are bounded anyway
TIMEOUT = 120  # seconds for a whole run: a hang is a failure, not a stuck suite


def run_schemathesis(
    base_url: str,
    key: str,
    *,
    protected_key_id: str,
    spare_key_id: str,
    work_dir: Path,
    options: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run every phase with ``key``; return the finished process (exit code 0: no failure).

    Requests naming ``protected_key_id`` go to ``spare_key_id`` (schemathesis_hooks.py).
    Schemathesis leaves its caches in ``work_dir``.
    """
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{base_url}/openapi.json",
        "--header", f"X-API-Key: {key}",
        "--checks", ",".join(CHECKS),
        "--max-examples", str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--request-timeout", "10",
        "--no-color",
        *options,
    ]  # fmt: skip
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]
        ),
        "CHAMELEON_PROTECTED_KEY_ID": protected_key_id,
        "CHAMELEON_SPARE_KEY_ID": spare_key_id,
        # Its report has emoji: UTF-8 whatever the machine's locale.
        "PYTHONIOENCODING": "utf-8",
    }
    return subprocess.run(
        command,
        cwd=work_dir,
        env=environment,
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=TIMEOUT,
    )
