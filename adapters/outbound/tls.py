"""One TLS client context per process for every outgoing HTTP call.

Why: httpx builds a fresh ``SSLContext`` (and loads the CA bundle) for every client,
about 25 ms of CPU; a client per send (see ``adapters.notify.http``) paid that on
every notification. An ``SSLContext`` is not tied to an event loop, so sharing it
keeps the per-send client (no pooled connection bound to one loop) without the cost.
Verification stays on: the default context checks the certificate and host name.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def client_tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
