"""``observer-eye run`` (what ``make run`` starts) as a child process on free ports with a
data directory of its own: Django on SQLite, the SQLite sample store, the Temporal dev
server with the worker in process, the in-process bus, the local host agent, and the
dashboard's production build served at ``/``. Used by the e2e tier and
bench/frontend.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.tansu import free_port

ROOT = Path(__file__).resolve().parents[2]


class EmbeddedStack:
    def __init__(self, data_dir: Path, frontend_dir: Path, **settings: object) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVER_")}
        env |= {"OBSERVER_PORT": str(self.port), "OBSERVER_ADMIN_PORT": "0",
                "OBSERVER_TEMPORAL_DEV_PORT": str(free_port()), "OBSERVER_DATA_DIR": str(data_dir),
                "OBSERVER_FRONTEND_DIR": str(frontend_dir), "OBSERVER_LOG_LEVEL": "WARNING",
                "PYTHONPATH": str(ROOT)}
        env |= {f"OBSERVER_{k.upper()}": str(v) for k, v in settings.items()}
        self.env = env
        self.log_path = data_dir.parent / "run.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "EmbeddedStack":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "run"], cwd=self.data_dir.parent,
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready(120)
        except BaseException:
            self.stop()
            raise
        self.key = (self.data_dir / "api-key").read_text().strip()
        self.admin_password = (self.data_dir / "admin-password").read_text().strip()
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last: object = None
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"observer-eye run exited with {self.proc.returncode}:\n{self.log()[-4000:]}")
            try:
                last = httpx.get(f"{self.url}/readyz", timeout=2)
                if last.status_code == 200:
                    return
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.25)
        raise RuntimeError(f"observer-eye run not ready in {timeout_s}s (last: {last!r}):\n{self.log()[-4000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def client(self) -> httpx.Client:
        """The operator's admin key (api-key in the data directory)."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=15)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: the Temporal dev server goes too
            self.proc.wait(10)

    def __exit__(self, *exc: object) -> None:
        self.stop()
