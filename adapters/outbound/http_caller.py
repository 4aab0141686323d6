"""``ports.infrastructure.HttpCaller`` with httpx, behind the outgoing-connection guard.

A runbook's URL is configuration like a webhook's, so the same guard applies
(``adapters.outbound.guard``): the host is resolved, every address must be public unless
allowed (``OBSERVER_OUTGOING_ALLOW``), and the connection goes to the checked address.
The step's idempotency key is sent as ``Idempotency-Key``. Redirects are not followed.
The step's timeout is a total deadline (connect, send, read), and at most
``MAX_ANSWER_BYTES`` of the answer are read (``adapters.outbound.bounded``).
A refused address is a permanent failure; transport errors are retryable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import httpx

from adapters.outbound.bounded import DeadlineExceeded, send_bounded
from adapters.outbound.guard import OutgoingGuard, Refused
from adapters.outbound.tls import client_tls_context
from ports.infrastructure import HttpRequest, HttpResponse, InfrastructureError

USER_AGENT = "Observer-Eye/0.1 (+remediation)"
MAX_ANSWER_BYTES = 64 * 1024  # the step's output keeps the first 2000 characters


class GuardedHttpCaller:
    def __init__(self, allow: Iterable[str] = (), *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.guard = OutgoingGuard(allow)
        self._transport = transport

    async def call(self, request: HttpRequest) -> HttpResponse:
        target = httpx.URL(request.url)
        if target.scheme not in ("http", "https"):
            raise InfrastructureError(f"refused {target.scheme}:// URL: only http and https")
        host = target.raw_host.decode("ascii")
        port = target.port or (443 if target.scheme == "https" else 80)
        try:
            address = await self.guard.resolve(host, port)
        except Refused as e:
            raise InfrastructureError(str(e)) from e
        except OSError as e:
            raise InfrastructureError(str(e), retryable=True) from e
        headers = {"User-Agent": USER_AGENT, **request.headers, "Idempotency-Key": request.idempotency_key,
                   "Host": target.netloc.decode("ascii")}
        body: bytes | None = None
        if request.body is not None:
            if isinstance(request.body, (dict, list)):
                body = json.dumps(request.body).encode()
                headers.setdefault("Content-Type", "application/json")
            else:
                body = str(request.body).encode()
        extensions = {"sni_hostname": host} if target.scheme == "https" else {}
        try:
            async with httpx.AsyncClient(timeout=request.timeout_s, follow_redirects=False,
                                         transport=self._transport, verify=client_tls_context()) as client:
                req = client.build_request(request.method, target.copy_with(host=address), content=body,
                                           headers=headers, extensions=extensions)
                r = await send_bounded(client, req, max_bytes=MAX_ANSWER_BYTES, truncate=True,
                                       deadline_s=request.timeout_s)
        except (httpx.HTTPError, DeadlineExceeded) as e:
            raise InfrastructureError(f"{request.method} {request.url}: {type(e).__name__}: {e}", retryable=True) from e
        return HttpResponse(r.status_code, r.text[:2000])
