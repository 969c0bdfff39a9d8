"""Our code uses its dependencies through their public API only.

A private name (a leading underscore) of Flask, Werkzeug, Flask-Limiter, limits, gunicorn or
redis-py may change in any release, silently. So app/, bench/ and gunicorn.conf.py may not
reach one: no ``x._name`` or ``getattr(x, "_name")`` unless our own code defines ``_name``,
no ``from lib import _name`` or ``lib._module``, and none of the names that did so before.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from app import PROJECT_ROOT

SOURCES = [
    *sorted((PROJECT_ROOT / "app").rglob("*.py")),
    *sorted((PROJECT_ROOT / "bench").rglob("*.py")),
    PROJECT_ROOT / "gunicorn.conf.py",
]
# Modules of our own: the app, and the bench's scripts, which import each other by name.
OWN_MODULES = {"app", "wsgi"} | {path.stem for path in (PROJECT_ROOT / "bench").glob("*.py")}
# Private in name, public by their library's documentation.
DOCUMENTED = {
    # Flask, "Notes On Proxies": how to reach the object behind current_app.
    "_get_current_object",
    # The standard library's namedtuple methods, underscored only to avoid field names.
    "_asdict",
    "_replace",
    "_fields",
    "_make",
}
# Reaching into a dependency's internals under a public-looking name.
BANNED_ATTRIBUTES = {"before_request_funcs", "_check_request_limit"}
BANNED_MODULES = ("gunicorn.workers",)
# Uses that are allowed anyway, as (path, name); each needs a reason beside it.
ALLOWED: set[tuple[str, str]] = set()


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def trees() -> Iterator[tuple[str, ast.AST]]:
    for path in SOURCES:
        yield path.relative_to(PROJECT_ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def names_we_define() -> set[str]:
    """Every name our code binds: functions, classes, variables, attributes, arguments."""
    defined = set()
    for _, tree in trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                defined.add(node.attr)
            elif isinstance(node, ast.arg):
                defined.add(node.arg)
            elif isinstance(node, ast.alias):
                defined.add(node.asname or node.name)
    return defined


def is_own(module: str | None, level: int) -> bool:
    return level > 0 or (module or "").split(".")[0] in OWN_MODULES


def uses(tree: ast.AST, ours: set[str]) -> Iterator[tuple[int, str]]:
    """(line, name) of every private or banned name of a dependency that ``tree`` reaches."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and reaches(node.attr, ours):
            yield node.lineno, node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and reaches(str(node.args[1].value), ours)
        ):
            yield node.lineno, str(node.args[1].value)
        elif isinstance(node, ast.ImportFrom) and not is_own(node.module, node.level):
            for alias in node.names:
                if is_forbidden_module(f"{node.module}.{alias.name}"):
                    yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if not is_own(alias.name, 0) and is_forbidden_module(alias.name):
                    yield node.lineno, alias.name


def reaches(attribute: str, ours: set[str]) -> bool:
    """Whether ``x.attribute`` reaches into a dependency (limits' scripts are ``lua_*``)."""
    if attribute in BANNED_ATTRIBUTES:
        return True
    private = is_private(attribute) or attribute.startswith("lua_")
    return private and attribute not in ours | DOCUMENTED


def is_forbidden_module(dotted: str) -> bool:
    """A banned module, or a private module or name inside a dependency."""
    return dotted.startswith(BANNED_MODULES) or any(map(is_private, dotted.split(".")))


def private_uses() -> list[tuple[str, int, str]]:
    ours = names_we_define()
    found = []
    for path, tree in trees():
        for line, name in uses(tree, ours):
            if (path, name) not in ALLOWED:
                found.append((path, line, name))
    return found


def test_no_private_api_of_a_dependency_is_used():
    assert private_uses() == []


def test_the_check_finds_what_it_forbids():
    code = """
from flask_limiter import Limiter
from flask_limiter._extension import Limiter as Hidden
from gunicorn.workers.sync import SyncWorker
from limits.storage import _private
import gunicorn.workers.sync

app.before_request_funcs[None].insert(0, hook)
Limiter._check_request_limit
storage.lua_moving_window.script
connection._sock
getattr(request, "_cached_json")
self._set_handler()
self._own = 1
client._own
"""
    found = sorted(name for _, name in uses(ast.parse(code), {"_own"}))
    assert found == sorted(
        [
            "flask_limiter._extension.Limiter",
            "gunicorn.workers.sync.SyncWorker",
            "limits.storage._private",
            "gunicorn.workers.sync",
            "before_request_funcs",
            "_check_request_limit",
            "lua_moving_window",
            "_sock",
            "_cached_json",
            "_set_handler",
        ]
    )


def test_every_allowed_use_is_still_there():
    """An allowance outlives nothing: once the code is gone, so must its line here."""
    ours = names_we_define()
    for path, name in ALLOWED:
        tree = ast.parse(Path(PROJECT_ROOT / path).read_text())
        assert name in {found for _, found in uses(tree, ours)}, (path, name)
