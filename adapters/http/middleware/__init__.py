"""ASGI middleware of the API: authentication (before anything reads the body) and the
per-request audit of changes."""
