"""The app imports only what it runs on: gunicorn is the production server's, not the app's."""

from __future__ import annotations

import subprocess
import sys

from app import PROJECT_ROOT

CHECK = """
import sys
from app import create_app
create_app({"TESTING": True, "SECRET_KEY": "s" * 32, "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
print(sorted(name for name in sys.modules if name.split(".")[0] == "gunicorn"))
"""


def test_making_the_app_imports_no_gunicorn(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", CHECK, f"sqlite:///{tmp_path / 'app.sqlite3'}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr
