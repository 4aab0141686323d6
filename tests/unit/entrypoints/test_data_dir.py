"""The data directory is owner-only at start, whatever existed before."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from entrypoints.data_dir import prepare_data_dir, secure_data_dir


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.lstat().st_mode)


def test_existing_world_readable_files_and_directories_are_made_owner_only(tmp_path) -> None:
    var = tmp_path / "var"
    (var / "temporal").mkdir(parents=True)
    var.chmod(0o755)
    (var / "temporal").chmod(0o775)
    files = [var / "api-key", var / "observer-eye.sqlite3", var / "observer-eye.sqlite3-wal",
             var / "observer-eye.sqlite3-shm", var / "temporal.db", var / "temporal" / "dev-server.log"]
    for f in files:
        f.write_text("secret")
        f.chmod(0o644)
    outside = tmp_path / "elsewhere"
    outside.write_text("not ours")
    outside.chmod(0o644)
    (var / "link").symlink_to(outside)

    changed = secure_data_dir(var)

    assert _mode(var) == 0o700 and _mode(var / "temporal") == 0o700
    assert all(_mode(f) == 0o600 for f in files)
    assert _mode(outside) == 0o644  # a link's target is left alone
    assert set(changed) == {var, var / "temporal", *files}
    assert secure_data_dir(var) == []  # nothing left to change


def test_files_created_after_start_are_owner_only(tmp_path) -> None:
    before = os.umask(0o022)
    try:
        prepare_data_dir(tmp_path / "var")
        (tmp_path / "var" / "samples.db-wal").write_text("x")
        (tmp_path / "var" / "new-dir").mkdir()
    finally:
        os.umask(before)
    assert _mode(tmp_path / "var" / "samples.db-wal") == 0o600
    assert _mode(tmp_path / "var" / "new-dir") == 0o700
