"""The systemd units in ``deploy/`` pass ``systemd-analyze verify``, and fit the proxy.

``verify`` checks the unit as systemd would load it (every key known, ExecStart
executable), without installing it, so it runs in a container without systemd running.
The install paths (/srv/chameleon) are pointed at this checkout and its virtualenv so
that ExecStart names a real gunicorn.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
INSTALLED = "/srv/chameleon"


def verify(unit: Path) -> subprocess.CompletedProcess:
    """``systemd-analyze verify`` on one unit file, without its dependencies' errors."""
    return subprocess.run(
        [shutil.which("systemd-analyze") or "systemd-analyze", "verify", "--man=no",
         "--recursive-errors=no", str(unit)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def server_unit_here(
    folder: Path,
    change=lambda text: text,
    name: str = "chameleon@.service",
    instance: str = "chameleon@8001.service",
) -> Path:
    """A unit of ``deploy/`` in ``folder``, installed in this checkout, after ``change``.

    A template (``name@.service``) is verified as one of its instances, ``instance``: the
    file is linked under that name, as systemd finds an instance's template.
    """
    text = (DEPLOY / name).read_text()
    assert f"{INSTALLED}/.venv" in text and f"WorkingDirectory={INSTALLED}" in text
    text = text.replace(f"{INSTALLED}/.venv", sys.prefix).replace(INSTALLED, str(PROJECT_ROOT))
    unit = folder / name
    unit.write_text(change(text))
    if not name.endswith("@.service"):
        return unit
    (folder / instance).symlink_to(unit)
    return folder / instance


@pytest.fixture
def units(tmp_path: Path) -> Path:
    """A folder to verify units in, once a trivial unit shows that verify runs here."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze: not installed (Debian's systemd package has it)")
    canary = tmp_path / "canary.service"
    canary.write_text(f"[Service]\nExecStart={sys.executable} -c pass\n")
    result = verify(canary)
    if result.returncode != 0:
        pytest.skip(f"systemd-analyze verify does not run here: {result.stderr.strip()}")
    return tmp_path


def test_the_server_unit_passes_systemd_analyze_verify(units: Path):
    result = verify(server_unit_here(units))
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_verify_would_catch_a_mistake_in_the_unit(units: Path):
    unit = server_unit_here(units, lambda text: text.replace("ProtectHome=", "ProtectHomes="))
    assert verify(unit).returncode != 0


def test_gunicorn_serves_on_loopback_where_nginx_sends_requests_and_trusts_one_proxy():
    service = (DEPLOY / "chameleon@.service").read_text()
    (exec_start,) = [line for line in service.splitlines() if line.startswith("ExecStart=")]
    assert exec_start.endswith("--bind 127.0.0.1:%i")
    site = (DEPLOY / "nginx.conf").read_text()
    assert "server 127.0.0.1:8000;" in site and "server 127.0.0.1:8001;" in site
    assert "enable --now chameleon@8000 chameleon@8001" in service
    settings = (DEPLOY / "chameleon.env").read_text().splitlines()
    assert "FLASK_TRUSTED_PROXY_COUNT=1" in settings


def test_the_notices_timer_and_its_service_pass_systemd_analyze_verify(units: Path):
    service = server_unit_here(units, name="chameleon-notices.service")
    timer = units / "chameleon-notices.timer"
    timer.write_text((DEPLOY / "chameleon-notices.timer").read_text())
    for unit in (service, timer):
        result = verify(unit)
        assert (result.returncode, result.stdout + result.stderr) == (0, ""), unit.name
    assert "ExecStart=" in service.read_text() and "notices send" in service.read_text()
