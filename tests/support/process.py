"""A test peer run as a child process (broker, exporter): stopping, its log, `with`."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import IO, Self


def interrupt(proc: subprocess.Popen, grace_s: float = 30) -> None:
    """Stop a process as Ctrl-C does (its graceful shutdown), killing it after ``grace_s``."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class ChildProcess:
    """Subclasses set ``_log`` (a named temp file) and ``_proc``, and define ``start``."""

    _log: IO[bytes]
    _proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        raise TypeError(f"{type(self).__name__} must define start()")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None

    def log_tail(self, chars: int = 2000) -> str:
        return Path(self._log.name).read_text(errors="replace")[-chars:]

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
