"""The instance folder (0700) and the SQLite database (0600): only the app's user reads them.

Each test has an instance folder of its own, never the project's ``instance/``, and runs
under umask 0, so the modes come from the app and not from a careful shell.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app import create_app

from support.apps import dispose_engines


@pytest.fixture(autouse=True)
def careless_umask():
    previous = os.umask(0)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_instance_folder_is_0700_and_its_files_0600(tmp_path):
    instance = tmp_path / "instance"
    app = create_app(instance_path=instance)
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    assert mode(instance / "chameleon.sqlite3") == 0o600

    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert app.test_cli_runner().invoke(args=["users", "bootstrap"]).exit_code == 0
    # Written through SQLite's WAL, whose files take the database's mode.
    for path in instance.iterdir():
        assert mode(path) == 0o600, path.name
    dispose_engines(app)


def test_an_instance_folder_and_database_others_can_read_are_tightened(tmp_path, caplog):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    database = instance / "chameleon.sqlite3"
    database.touch(mode=0o644)
    dispose_engines(create_app({"SECRET_KEY": "x"}, instance_path=instance))
    assert mode(instance) == 0o700
    assert mode(database) == 0o600
    assert caplog.text.count("could be read by others") == 2

    caplog.clear()
    dispose_engines(create_app({"SECRET_KEY": "x"}, instance_path=instance))
    assert "read by others" not in caplog.text  # said once, when it changed


def test_a_sqlite_file_elsewhere_is_0600_too(tmp_path):
    elsewhere = tmp_path / "data"
    elsewhere.mkdir()
    url = f"sqlite:///{elsewhere / 'app.sqlite3'}"
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url}, instance_path=tmp_path / "i"
    )
    dispose_engines(app)
    assert mode(elsewhere / "app.sqlite3") == 0o600
    assert mode(elsewhere) == 0o777  # not ours to change
