"""ASGI middleware of the HTTP adapter: what every request passes through before a route
sees it (body-size cap, security headers, authentication). Each module stands alone;
``adapters.http.app`` installs them."""
