"""Security headers on every HTTP response (docs/adr/0011-re2.md, "HTTP response policy").

- ``X-Content-Type-Options: nosniff``: a JSON answer is never sniffed into HTML/script.
- ``Referrer-Policy: no-referrer``: URLs (query strings carry selectors) never leak.
- ``Content-Security-Policy`` with ``frame-ancestors 'none'`` (and ``X-Frame-Options:
  DENY`` for older browsers): nothing may frame us (clickjacking). API answers get
  ``default-src 'none'`` too: they are data, never a document to render. HTML (the
  dashboard, served from ``/`` on the same origin) may load scripts, styles, images and
  fonts from its own origin and connect back to it (``ws:``/``wss:`` included), and
  nothing else. FastAPI's API browser (``/docs``, ``/redoc``) loads Swagger UI / ReDoc
  from their CDN with an inline bootstrap script, so its pages get that, and only that.
- ``Strict-Transport-Security`` only when the request came over TLS: its scheme is
  https, or, with ``trust_forwarded_proto`` (a TLS-terminating proxy in front), its
  ``X-Forwarded-Proto`` says https. Over plain HTTP the header would be ignored by
  browsers and would pin a name to TLS that may not serve it.

A header the route set itself is kept.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_PATHS = ("/docs", "/redoc")
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (f"default-src 'none'; script-src 'self' 'unsafe-inline' {DOCS_CDN}; style-src 'self' 'unsafe-inline' {DOCS_CDN}; "
            f"img-src 'self' data: https://fastapi.tiangolo.com {DOCS_CDN}; font-src 'self' https://fonts.gstatic.com; "
            f"worker-src blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
HSTS = "max-age=31536000"
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$")


def html_csp(host: str | None, tls: bool) -> str:
    """The dashboard's policy: its own origin only. ``connect-src 'self'`` covers the
    WebSocket in CSP Level 3 browsers; the explicit ``ws(s)://host`` covers the rest.

    Styles allow ``'unsafe-inline'`` (as Grafana's default policy does): Angular adds
    component styles as ``<style>`` elements and writes static ``style`` attributes with
    ``setAttribute``, which a nonce cannot cover. Scripts stay ``'self'`` only, and the
    build inlines nothing (``inlineCritical`` is off in ``frontend/angular.json``: its
    ``onload`` handler would be an inline script)."""
    connect = "'self'"
    if host and _HOST.match(host):
        connect += f" {'wss' if tls else 'ws'}://{host}"
    return ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
            f"connect-src {connect}; manifest-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, trust_forwarded_proto: bool = False) -> None:
        self.app = app
        self.trust_forwarded_proto = trust_forwarded_proto

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name: value.decode("latin-1") for name, value in scope.get("headers", ())}
        tls = scope.get("scheme") == "https" or (
            self.trust_forwarded_proto and headers.get(b"x-forwarded-proto", "").split(",")[0].strip().lower() == "https")
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                content_type = next((v.decode("latin-1") for n, v in message.get("headers", [])
                                     if n.lower() == b"content-type"), "")
                if path.startswith(DOCS_PATHS):
                    csp = DOCS_CSP
                elif content_type.lower().startswith("text/html"):
                    csp = html_csp(headers.get(b"host"), tls)
                else:
                    csp = API_CSP
                wanted = [(b"x-content-type-options", "nosniff"), (b"referrer-policy", "no-referrer"),
                          (b"x-frame-options", "DENY"), (b"content-security-policy", csp)]
                if tls:
                    wanted.append((b"strict-transport-security", HSTS))
                extra = [(name, value.encode("latin-1")) for name, value in wanted if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
