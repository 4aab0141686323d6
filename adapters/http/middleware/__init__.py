"""ASGI middleware of the HTTP adapter: what every request passes through before a route
sees it (security headers, the catch-all error, authentication and the body-size cap
before anything reads the body, the audit of changes). Each module stands alone;
``adapters.http.app`` installs them."""
