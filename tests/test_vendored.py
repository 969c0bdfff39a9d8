"""The vendored htmx is the pinned release, byte for byte."""

import hashlib
import re

from app import PROJECT_ROOT

VENDOR = PROJECT_ROOT / "static" / "vendor"


def test_htmx_matches_its_recorded_sha256():
    table = (VENDOR / "README.md").read_text()
    name, version, digest = re.search(
        r"\| `(htmx-([\d.]+)\.min\.js)` \|[^|]+\| [\d.]+ \| `([0-9a-f]{64})` \|", table
    ).groups()
    assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest
    assert version.startswith("2.0.")
    assert f"vendor/{name}" in (PROJECT_ROOT / "templates" / "base.html").read_text()
