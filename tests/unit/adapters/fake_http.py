"""A small local HTTP server that records requests and answers from a script: it
stands in for the Kubernetes API and for runbook HTTP endpoints."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


Responder = Callable[[Seen], tuple[int, Any]]


@dataclass
class FakeServer:
    url: str
    requests: list[Seen] = field(default_factory=list)
    respond: Responder = lambda seen: (200, {})


@contextmanager
def fake_server(respond: Responder | None = None) -> Iterator[FakeServer]:
    state = FakeServer(url="")
    if respond is not None:
        state.respond = respond

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode()
            seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            state.requests.append(seen)
            status, payload = state.respond(seen)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
