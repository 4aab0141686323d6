"""A private redis-server speaking only TLS and asking for a password, started by the
test on a free port (Debian's redis-server is built with TLS). The system's Redis is
left alone."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

from tests.notify_receivers import make_tls_files
from tests.support.process import ChildProcess


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TlsRedis(ChildProcess):
    def __init__(self, directory: Path, password: str) -> None:
        self.directory = directory
        self.password = password
        self.port = _free_port()
        self.ca, self.cert, self.key = make_tls_files(directory)
        self._log = tempfile.NamedTemporaryFile(prefix="redis-tls-", suffix=".log", delete=False)

    @property
    def url(self) -> str:
        return f"rediss://127.0.0.1:{self.port}/0"

    def start(self) -> Self:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (make test installs Redis from the system's packages)")
        self._proc = subprocess.Popen(
            [binary, "--port", "0", "--tls-port", str(self.port), "--bind", "127.0.0.1",
             "--tls-cert-file", str(self.cert), "--tls-key-file", str(self.key), "--tls-ca-cert-file", str(self.ca),
             "--tls-auth-clients", "no", "--requirepass", self.password, "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=self._log, stderr=subprocess.STDOUT)
        context = ssl.create_default_context(cafile=str(self.ca))
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as raw:
                    with context.wrap_socket(raw, server_hostname="127.0.0.1"):
                        return self
            except OSError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the TLS redis-server did not start: {self.log_tail()}") from None
                time.sleep(0.1)
