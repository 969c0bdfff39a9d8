"""Files only the app's own user may read: the instance folder and a SQLite database.

The instance folder holds the generated secret key and, by default, the SQLite database
(every email and password hash). Both are made here with their final modes, 0700 and
0600, whatever the umask; an existing folder or database that others could read is
tightened, with a warning, since nothing says who has read it already.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600
# SQLite's companions in WAL mode; SQLite gives them the database file's mode when it
# makes them, but older ones keep whatever mode they were made with.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def make_private_folder(path: Path) -> None:
    """Create ``path`` (and its parents) with mode 0700, or tighten it if it exists."""
    try:
        path.mkdir(mode=FOLDER_MODE, parents=True)
    except FileExistsError:
        _tighten(path, FOLDER_MODE)
    else:
        path.chmod(FOLDER_MODE)  # mkdir's mode passes through the umask


def make_private_sqlite_file(path: Path) -> None:
    """Create the SQLite database file with mode 0600 before SQLite does, or tighten it.

    SQLite would create it with 0644 (less the umask) on first connect; an empty file is
    an empty database to SQLite.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _tighten(path, FILE_MODE)
    except OSError:
        return  # no such folder, say: SQLite will say so, as it did before
    else:
        try:
            os.fchmod(fd, FILE_MODE)  # the mode given to os.open passes through the umask
        finally:
            os.close(fd)
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            _tighten(companion, FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if not current & 0o077:
        return  # already private
    try:
        path.chmod(mode)
    except OSError as error:
        log.warning(
            "%s can be read by others (mode %04o); cannot change it: %s", path, current, error
        )
        return
    log.warning(
        "%s could be read by others (mode %04o); changed it to %04o. It holds secrets: "
        "review who could read it.",
        path,
        current,
        mode,
    )
