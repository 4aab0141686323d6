"""A real Prometheus node exporter for the tests: the Debian package's binary
(``apt-get install prometheus-node-exporter``) started on a free port of 127.0.0.1,
never the system service's 9100. If the binary is missing or does not answer the
tests FAIL saying so: the scraper's real-target tests are never skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

from tests.support.process import ChildProcess
from tests.support.tansu import free_port

CANDIDATES = ("/usr/bin/prometheus-node-exporter", "prometheus-node-exporter", "node_exporter")


def node_exporter_binary() -> str:
    """$OBSERVER_TEST_NODE_EXPORTER, else the Debian binary, else one on PATH."""
    override = os.environ.get("OBSERVER_TEST_NODE_EXPORTER")
    for candidate in ([override] if override else CANDIDATES):
        found = shutil.which(candidate)
        if found:
            return found
    raise RuntimeError(
        "prometheus-node-exporter was not found; the scraper's integration tests need it: "
        "apt-get install prometheus-node-exporter (or set OBSERVER_TEST_NODE_EXPORTER to a node_exporter binary)"
    )


class NodeExporter(ChildProcess):
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/metrics"
        self._log = tempfile.NamedTemporaryFile(prefix="node-exporter-", suffix=".log", delete=False)
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 20.0) -> "NodeExporter":
        cmd = [node_exporter_binary(), f"--web.listen-address=127.0.0.1:{self.port}"]
        self._proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the node exporter exited with {self._proc.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the node exporter did not answer on {self.url} in {timeout_s}s: {self.log_tail()}")
            time.sleep(0.1)
