"""JSON request bodies must be Unicode text: no lone UTF-16 surrogate escapes.

JSON lets a string spell ``"\\ud800"``, half of a surrogate pair, which is not a
character: Python decodes it to a string that cannot be encoded as UTF-8 again. Stored
in a label, a silence's comment or a rule's name, it would make every later answer
that includes it fail, and the SQL databases refuse to store it. So a JSON body with
such an escape is refused here with a 422 naming ``body``, before any route parses it,
while the body streams (the scan keeps only a few bytes between chunks).

Only uncompressed JSON bodies are scanned: a compressed body is bytes, not JSON text.
Raw surrogate bytes are not UTF-8 at all; the JSON parser refuses those already.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.http.middleware.body_limit import run_inspected
from adapters.http.problems import problem

_HEX = frozenset(b"0123456789abcdefABCDEF")


def _surrogate(hex4: bytes) -> str:
    """"high", "low" or "" for the four hex digits of a ``\\u`` escape."""
    if len(hex4) != 4 or hex4[0] not in b"dD" or not all(c in _HEX for c in hex4):
        return ""
    second = hex4[1:2].lower()
    if second in (b"8", b"9", b"a", b"b"):
        return "high"
    if second in (b"c", b"d", b"e", b"f"):
        return "low"
    return ""


class SurrogateScanner:
    """Feeds on a JSON text in chunks; ``feed`` is False once a surrogate escape
    stands alone (a high one not followed by a low one, or a low one alone)."""

    def __init__(self) -> None:
        self._carry = b""
        self._expect_low = False

    def feed(self, chunk: bytes, final: bool) -> bool:
        data, self._carry = self._carry + chunk, b""
        i, n = 0, len(data)
        while True:
            if self._expect_low:
                if n - i < 6:
                    if final:
                        return False
                    self._carry = data[i:]
                    return True
                if data[i:i + 2] != b"\\u" or _surrogate(data[i + 2:i + 6]) != "low":
                    return False
                self._expect_low = False
                i += 6
                continue
            j = data.find(b"\\", i)
            if j < 0:
                return True
            if n - j < 6 and not final and (j + 1 >= n or data[j + 1:j + 2] == b"u"):
                self._carry = data[j:]  # an escape cut by the chunk boundary
                return True
            if data[j + 1:j + 2] != b"u":
                i = j + 2  # a two-character escape, "\\\\" included
                continue
            kind = _surrogate(data[j + 2:j + 6])
            if kind == "low":
                return False
            self._expect_low = kind == "high"
            i = j + 6


def _is_json(scope: Scope) -> bool:
    content_type = encoding = ""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            content_type = value.decode("latin-1").split(";")[0].strip().lower()
        elif name == b"content-encoding":
            encoding = value.decode("latin-1").strip().lower()
    is_json = content_type in ("", "application/json") or content_type.endswith("+json")
    return is_json and encoding in ("", "identity")


def _refused() -> Response:
    message = "body holds a lone UTF-16 surrogate escape (\\ud800-\\udfff), which is not Unicode text"
    return problem(422, "Invalid request", message, field="body", errors=[{"field": "body", "message": message}])


class UnicodeJsonMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        scanner = SurrogateScanner()

        def check(chunk: bytes, final: bool) -> Response | None:
            return None if scanner.feed(chunk, final) else _refused()

        await run_inspected(self.app, scope, receive, send, check)
