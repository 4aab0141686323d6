"""The data directory holds credentials and every database of the embedded stack: it is
the process owner's alone.

At the start of every process that uses it: the directory and everything under it are
made owner-only (directories 0700, files 0600) whatever modes they had, e.g. files an
older version or another tool created world-readable; and the process' umask becomes
0077, so what is created later (SQLite's ``-wal``/``-shm`` companions, the Temporal dev
server's database and log, written by its child process) is owner-only from birth.
Symbolic links are left alone (their modes mean nothing; their targets are not ours).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("observer_eye")

DIR_MODE = 0o700
FILE_MODE = 0o600


def secure_data_dir(path: Path) -> list[Path]:
    """Create ``path`` if missing and make it and its contents owner-only. Returns the
    paths whose modes were changed."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    changed = []
    if _restrict(path, DIR_MODE):
        changed.append(path)
    for root, dirs, files in os.walk(path, followlinks=False):
        for name in dirs:
            if _restrict(Path(root, name), DIR_MODE):
                changed.append(Path(root, name))
        for name in files:
            if _restrict(Path(root, name), FILE_MODE):
                changed.append(Path(root, name))
    return changed


def _restrict(path: Path, mode: int) -> bool:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) == mode:
        return False
    path.chmod(mode)
    return True


def prepare_data_dir(path: Path) -> None:
    """What every process that uses the data directory does first."""
    os.umask(0o077)
    changed = secure_data_dir(path)
    if changed:
        log.warning("made %d paths in %s owner-only (0700/0600): %s", len(changed), path,
                    ", ".join(str(p.relative_to(path)) or "." for p in changed[:10]) + (" ..." if len(changed) > 10 else ""))
