"""A local HTTP server whose answers misbehave on purpose: a body far larger than any
caller wants, or one trickled a byte at a time (each byte within any per-read timeout,
the whole far beyond a deadline). Both are finite, so a caller without bounds finishes
too, only late or with everything in memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def misbehaving_server(*, body_bytes: int = 0, trickle: int = 0, every_s: float = 0.25) -> Iterator[str]:
    """``body_bytes``: answer that many bytes at once; ``trickle``: answer that many
    bytes, one every ``every_s``. Yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            size = trickle or body_bytes
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            try:
                if trickle:
                    for _ in range(trickle):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(every_s)
                else:
                    self.wfile.write(b" " * body_bytes)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the caller gave up: what we are testing

        do_GET = do_POST = do_PATCH = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
