"""The README's four ways of using a key work exactly as written (but for host and key)."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys

import pytest

from app import PROJECT_ROOT

pytestmark = pytest.mark.gunicorn


def using_a_key_snippets() -> dict[str, str]:
    """The fenced code blocks of the README's "Using a key" section, by client."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Using a key", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```\w+\n(.*?)```", section, re.S)
    markers = {
        "curl": "curl -X POST",
        "python": "requests.post",
        "fetch": "fetch(",
        "axios": "axios.post",
    }
    found = {name: next(b for b in blocks if marker in b) for name, marker in markers.items()}
    return found


def node_has(module: str) -> bool:
    """Whether Node.js can ``require`` the module (NODE_PATH included)."""
    if shutil.which("node") is None:
        return False
    probe = subprocess.run(["node", "-e", f"require('{module}')"], capture_output=True)
    return probe.returncode == 0


@pytest.fixture
def live(gunicorn, factory, database_url):
    """A gunicorn on this test's database and a key, as the README's BASE and KEY."""
    _, key = factory.key(factory.user("ada@example.com"), "README")
    server = gunicorn(database_url)
    return {**os.environ, "BASE": server.url, "KEY": key}


def run(command: list[str], env: dict) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_curl(live):
    import json

    body = json.loads(run(["bash", "-c", using_a_key_snippets()["curl"]], live))
    assert body["ok"] is True
    assert body["received"] == {"key": "value"}
    assert body["key"]["name"] == "README"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_python_requests(live):
    body = ast.literal_eval(run([sys.executable, "-c", using_a_key_snippets()["python"]], live))
    assert body["ok"] is True
    assert body["received"] == {"key": "value"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_javascript_fetch(live):
    if shutil.which("node") is None:
        pytest.skip("JavaScript fetch: install Node.js 18 or newer")
    output = run(["node", "-e", using_a_key_snippets()["fetch"]], live)
    assert "ok: true" in output
    assert "received: { key: 'value' }" in output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_node_axios(live):
    if not node_has("axios"):
        pytest.skip("Node axios: `npm install axios` and put its node_modules on NODE_PATH")
    output = run(["node", "-e", using_a_key_snippets()["axios"]], live)
    assert "ok: true" in output
    assert "received: { key: 'value' }" in output
