"""Serve a WSGI app (a Flask test peer) on a free port of 127.0.0.1 from a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import werkzeug.serving


@contextmanager
def serve_wsgi(app: Any) -> Iterator[str]:
    """The base URL (``http://127.0.0.1:<port>``) while the app is served."""
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
