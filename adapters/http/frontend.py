"""Serves the dashboard's production build (``frontend/dist/...``) on the API's origin.

Installed as the router's fallback, so it only sees requests no route matched (a known
path with the wrong method still gets the API's 405). Paths the API owns (``/api``,
``/prometheus``, ``/docs``, ...) keep the API's 404 problem; any other path is a file of
the build or, failing that, ``index.html`` so the dashboard's deep links load (the
Angular router then shows the page). Hashed assets (``main-ABCD1234.js``) never change
under their name and are cached for a year; ``index.html`` and unhashed files are
revalidated on every load so a new build is picked up at once. Text assets are sent
gzip-compressed when the client accepts it (compressed once, kept in memory).
"""

from __future__ import annotations

import gzip
import mimetypes
import re
from pathlib import Path, PurePosixPath

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

# Prefixes that belong to the API: an unknown path under them is the API's 404, not the SPA.
API_PREFIXES = ("/api", "/prometheus", "/healthz", "/readyz", "/docs", "/redoc", "/openapi.json", "/metrics", "/v1")
HASHED = re.compile(r"-[A-Z0-9]{8}\.[A-Za-z0-9]+$")  # Angular's output hashing: name-HASH8.ext
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = {".js", ".mjs", ".css", ".html", ".json", ".svg", ".txt", ".map", ".webmanifest"}
MIN_COMPRESS_BYTES = 1024


def is_api_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in API_PREFIXES)


class FrontendFiles:
    """An ASGI app answering GET/HEAD from a built single-page application directory."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._gzipped: dict[Path, tuple[int, bytes]] = {}  # file -> (mtime_ns, compressed body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # an unmatched WebSocket: close it as Starlette would
            await send({"type": "websocket.close", "code": 1000})
            return
        request = Request(scope, receive)
        path = request.url.path
        if is_api_path(path):
            raise HTTPException(404, f"no route {path}")
        if request.method not in ("GET", "HEAD"):
            raise HTTPException(405, f"{request.method} is not allowed on {path}")
        file = self._file(path) or self.root / "index.html"
        response = self._response(request, file)
        await response(scope, receive, send)

    def _file(self, url_path: str) -> Path | None:
        """The build file ``url_path`` names, or None (never outside the build directory)."""
        parts = PurePosixPath(url_path).parts[1:]
        if not parts or any(p in ("..", ".") or p.startswith(".") for p in parts):
            return None
        candidate = (self.root.joinpath(*parts)).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    def _response(self, request: Request, file: Path) -> Response:
        stat = file.stat()
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if media_type.startswith("text/") or media_type in ("application/javascript", "application/json"):
            media_type += "; charset=utf-8"
        headers = {"Cache-Control": IMMUTABLE if HASHED.search(file.name) else REVALIDATE, "Vary": "Accept-Encoding"}
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        headers["ETag"] = etag
        if request.headers.get("if-none-match") == etag:
            # The media type goes with the 304: a browser updates the cached page's headers
            # from it, and SecurityHeadersMiddleware picks the page's CSP by content type
            # (without one, index.html would be revalidated into the API's default-src 'none').
            return Response(status_code=304, headers=headers, media_type=media_type)
        body = file.read_bytes()
        if (file.suffix in COMPRESSIBLE and len(body) >= MIN_COMPRESS_BYTES
                and "gzip" in request.headers.get("accept-encoding", "")):
            cached = self._gzipped.get(file)
            if cached is None or cached[0] != stat.st_mtime_ns:
                cached = self._gzipped[file] = (stat.st_mtime_ns, gzip.compress(body, compresslevel=9))
            body = cached[1]
            headers["Content-Encoding"] = "gzip"
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return Response(status_code=200, headers=headers, media_type=media_type)
        return Response(body, headers=headers, media_type=media_type)


def install_frontend(app: FastAPI, root: Path) -> bool:
    """Serve the build in ``root`` for every path no route matched; False when there is
    no build there (``index.html`` missing), in which case nothing changes."""
    if not (root / "index.html").is_file():
        return False
    app.router.default = FrontendFiles(root)
    return True
