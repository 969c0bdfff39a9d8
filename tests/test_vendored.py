"""Vendored files are the pinned releases, byte for byte."""

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


def test_sign_up_lists_match_their_recorded_sha256():
    data = PROJECT_ROOT / "app" / "accounts" / "data"
    table = (data / "README.md").read_text()
    recorded = dict(re.findall(r"\| `([\w.-]+\.txt)` \|[^|]+\|[^|]+\| `([0-9a-f]{64})` \|", table))
    assert set(recorded) == {"common-passwords.txt", "confusables.txt"}
    for name, digest in recorded.items():
        assert hashlib.sha256((data / name).read_bytes()).hexdigest() == digest, name
    header = (data / "confusables.txt").read_text(encoding="utf-8")[:400]
    assert "Unicode Security Mechanisms for UTS #39" in header
    assert "Version: 18.0.0" in header
