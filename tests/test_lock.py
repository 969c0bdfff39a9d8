"""The lock files agree with pyproject.toml: every dependency pinned, in range, with hashes.

``make run`` and ``make test`` install only what the locks pin; a dependency added to
pyproject.toml without ``make lock`` would be missing from a fresh clone.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from app import PROJECT_ROOT

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
LOCKS = {
    "app": (PROJECT_ROOT / "requirements" / "app.lock", ["postgres", "redis"]),
    "test": (PROJECT_ROOT / "requirements" / "test.lock", ["postgres", "redis", "test"]),
}
# A pin: name==version, an optional environment marker, then its hashes on the next lines.
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$", re.MULTILINE)


def pins(lock: str) -> dict[str, list[tuple[Version, Marker | None]]]:
    """Every pinned version in ``lock`` by package name (one per Python, where they differ)."""
    found: dict[str, list[tuple[Version, Marker | None]]] = {}
    for name, version, marker in PIN.findall(lock):
        entry = (Version(version), Marker(marker) if marker else None)
        found.setdefault(canonicalize_name(name), []).append(entry)
    return found


def required(extras: list[str]) -> list[Requirement]:
    """What pyproject.toml asks for, with ``extras``."""
    lines = PYPROJECT["dependencies"] + [
        line for extra in extras for line in PYPROJECT["optional-dependencies"][extra]
    ]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize("which", sorted(LOCKS))
def test_every_dependency_is_pinned_within_its_range(which):
    path, extras = LOCKS[which]
    locked = pins(path.read_text())
    for requirement in required(extras):
        versions = locked.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in {path.name}: run make lock"
        for version, _marker in versions:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{path.name} pins {requirement.name} {version}, outside {requirement.specifier}"
            )


@pytest.mark.parametrize("which", sorted(LOCKS))
def test_every_pin_carries_a_hash(which):
    path, _ = LOCKS[which]
    blocks = re.split(r"\n(?=[A-Za-z0-9])", path.read_text())
    unhashed = [block.split()[0] for block in blocks if PIN.match(block) and "--hash=" not in block]
    assert unhashed == []


def test_the_app_lock_pins_what_the_tests_run():
    app, test = (pins(LOCKS[name][0].read_text()) for name in ("app", "test"))
    differ = {name: (app[name], test.get(name)) for name in app if app[name] != test.get(name)}
    assert differ == {}
