"""`observer-eye run` on its embedded defaults keeps the data directory owner-only:
a world-readable file left there before is fixed at start, and what the stack creates
while it runs (SQLite's -wal/-shm, the Temporal dev server's database) is born 0600.
Django's admin listens on loopback even when the API is opened to the network."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from tests.integration.test_embedded_stack import ROOT, _free_port, _until

pytestmark = pytest.mark.integration


def test_the_data_directory_is_owner_only_and_the_admin_on_loopback(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    left_over = var / "notes.txt"
    left_over.write_text("left by someone")
    left_over.chmod(0o644)

    port, admin_port, temporal_port = _free_port(), _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVER_")}
    env |= {"OBSERVER_HOST": "0.0.0.0", "OBSERVER_PORT": str(port), "OBSERVER_ADMIN_PORT": str(admin_port),
            "OBSERVER_TEMPORAL_DEV_PORT": str(temporal_port), "OBSERVER_DATA_DIR": str(var),
            "OBSERVER_AGENT_INTERVAL_S": "1", "PYTHONPATH": str(ROOT)}
    with open(tmp_path / "run.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "run"], cwd=tmp_path, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            _until(lambda: httpx.get(f"{base}/readyz", timeout=2), lambda r: r.status_code == 200, 90, "readiness")
            key = (var / "api-key").read_text().strip()
            client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10)
            # The agent's samples reach the SQLite sample store (its WAL is written).
            _until(lambda: client.get("/api/v1/series").json()["data"], lambda d: len(d) > 0, 60, "host series")
            _until(lambda: sorted(p.name for p in var.iterdir()),
                   lambda names: {"samples.db-wal", "observer-eye.sqlite3-wal", "temporal.db"} <= set(names), 30,
                   "the stack's files")

            modes = {str(p.relative_to(var)): stat.S_IMODE(p.lstat().st_mode) for p in [var, *var.rglob("*")]
                     if not p.is_symlink()}
            loose = {name: oct(mode) for name, mode in modes.items()
                     if mode != (0o700 if (var / name).is_dir() else 0o600)}
            assert not loose, f"not owner-only: {loose}"
            assert {"notes.txt", "samples.db-shm", "observer-eye.sqlite3-shm", "django-secret-key"} <= set(modes)

            listening = {c.laddr.port: c.laddr.ip for c in psutil.Process(proc.pid).net_connections(kind="tcp")
                         if c.status == psutil.CONN_LISTEN}
            assert listening[port] == "0.0.0.0"
            assert listening[admin_port] == "127.0.0.1"
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
