"""The key format the README publishes for scanners: its regex and its gitleaks rule.

Both must find every key, whole, and nothing shorter, longer or otherwise not a key. The
gitleaks rule's regex is Go's RE2; the patterns used here mean the same in Python's ``re``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from app.keys.format import generate_key

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = README.read_text(encoding="utf-8").split("## Leaked keys", 1)[1].split("\n## ", 1)[0]
KEYS = [generate_key().value for _ in range(1000)]


def block(language: str) -> str:
    (text,) = re.findall(rf"```{language}\n(.*?)```", SECTION, re.DOTALL)
    return text


def patterns() -> dict[str, re.Pattern[str]]:
    (rule,) = tomllib.loads(block("toml"))["rules"]
    assert rule["keywords"] == ["ck_"]
    return {"readme": re.compile(block("regex").strip()), "gitleaks": re.compile(rule["regex"])}


def near_misses(key: str) -> list[str]:
    key_id, secret = key[3:15], key[16:]
    return [
        key[:-1],  # one character short
        key + "A",  # one too many
        "x" + key,  # inside a longer word
        "CK_" + key[3:],
        "ck-" + key[3:],
        f"ck_{key_id}-{secret}",
        f"ck_{key_id}{secret}",
        f"ck_{key_id[:-1]}_{secret}A",  # the underscore in the wrong place
        key[:20] + "!" + key[21:],
        key[:20] + "é" + key[21:],
        "ck_" + "_" * 51,
    ]


@pytest.mark.parametrize("name", ["readme", "gitleaks"])
def test_the_published_pattern_finds_every_key_whole(name):
    pattern = patterns()[name]
    for key in KEYS:
        assert pattern.fullmatch(key), key
        for text in (f'API_KEY="{key}"', f"X-API-Key: {key}\n", f"{key} ", f"key={key}&x=1"):
            found = pattern.search(text)
            assert found is not None and found.group(0) == key, text


@pytest.mark.parametrize("name", ["readme", "gitleaks"])
def test_the_published_pattern_finds_no_near_miss(name):
    pattern = patterns()[name]
    for key in KEYS[:100]:
        for miss in near_misses(key):
            assert pattern.search(miss) is None, miss
