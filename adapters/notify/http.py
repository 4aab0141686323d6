"""What the HTTP channels share: a guarded POST (the checked address is the one we
connect to; TLS still verifies the host name), the classification of answers into
delivered / retry / give up, and a bounded memory of the keys this process delivered.

Each send has a total deadline (the configured timeout covers connecting, sending and
reading the answer, not each of them) and reads at most ``MAX_ANSWER_BYTES`` of the
answer: only a snippet of it is kept (``adapters.outbound.bounded``).

Retry: connection errors, timeouts, 408, 425, 429 and 5xx (the far side may recover).
Give up: any other 4xx (the request itself is wrong: a revoked Slack hook, a bad
routing key; retrying only repeats it). Redirects are not followed: a redirect could
point anywhere, including at a private address.
"""

from __future__ import annotations

import asyncio
import collections
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import httpx

from adapters.outbound.bounded import send_bounded
from adapters.outbound.guard import OutgoingGuard, Refused
from adapters.outbound.tls import client_tls_context
from ports.notify import DeliveryResult, OutgoingNotification

USER_AGENT = "Observer-Eye/0.1 (+notifications)"
MAX_ANSWER_BYTES = 64 * 1024  # of a channel's answer; the audit keeps its first 200 characters
_RETRY_STATUS = {408, 425, 429}


class SentKeys:
    """The last ``size`` idempotency keys delivered by this process (the cross-process
    guard is the ``DeliveryLedger``; this makes a direct retry of ``send`` harmless)."""

    def __init__(self, size: int = 10_000) -> None:
        self._keys: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._size = size

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def add(self, key: str) -> None:
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self._size:
            self._keys.popitem(last=False)


def classify(response: httpx.Response) -> DeliveryResult:
    code = response.status_code
    if 200 <= code < 300:
        return DeliveryResult(True, code)
    detail = f"HTTP {code}: {response.text[:200]}".strip()
    return DeliveryResult(False, code, detail, retryable=code >= 500 or code in _RETRY_STATUS)


class GuardedHttp:
    def __init__(self, guard: OutgoingGuard, timeout_s: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.guard = guard
        self._timeout = timeout_s
        self._transport = transport

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> httpx.Response:
        """POST ``body`` to ``url`` at the address the guard approved. Raises ``Refused``."""
        target = httpx.URL(url)
        if target.scheme not in ("http", "https"):
            raise Refused(f"refused {target.scheme}:// URL: only http and https")
        host = target.raw_host.decode("ascii")
        port = target.port or (443 if target.scheme == "https" else 80)
        addresses = await self.guard.resolve_all(host, port)
        all_headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers,
                       "Host": target.netloc.decode("ascii")}
        extensions = {"sni_hostname": host} if target.scheme == "https" else {}
        # One client per send: deliveries are rare and spread over workers and event
        # loops; a pooled client bound to one loop would be the bigger hazard. The TLS
        # context is shared (building one is most of a new client's cost).
        deadline = asyncio.get_running_loop().time() + self._timeout  # for the whole send, every address tried
        async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False, transport=self._transport,
                                     verify=client_tls_context()) as client:
            for i, address in enumerate(addresses):  # the next checked address if one does not answer
                request = client.build_request("POST", target.copy_with(host=address), content=body,
                                               headers=all_headers, extensions=extensions)
                try:
                    return await send_bounded(client, request, max_bytes=MAX_ANSWER_BYTES, truncate=True,
                                              deadline_s=max(0.001, deadline - asyncio.get_running_loop().time()))
                except httpx.ConnectError:
                    if i == len(addresses) - 1:
                        raise
        raise AssertionError("unreachable: resolve_all never returns an empty list")


class HttpChannel(ABC):
    """Base of the HTTP channels: ``build`` makes (url, body, headers) from a notification."""

    channel = ""

    def __init__(self, http: GuardedHttp) -> None:
        self._http = http
        self._sent = SentKeys()

    def channels(self) -> frozenset[str]:
        return frozenset({self.channel})

    @abstractmethod
    def build(self, n: OutgoingNotification) -> tuple[str, bytes, dict[str, str]]:
        """The request for this channel: (url, body, headers)."""

    def check(self, response: httpx.Response) -> DeliveryResult:
        return classify(response)

    async def send(self, notification: OutgoingNotification) -> DeliveryResult:
        if notification.idempotency_key in self._sent:
            return DeliveryResult(True, detail="already sent")
        try:
            url, body, headers = self.build(notification)
            # Every channel carries the key: a receiver that sees a retry can tell.
            headers.setdefault("X-Observer-Idempotency-Key", notification.idempotency_key)
            response = await self._http.post(url, body, headers)
        except Refused as exc:
            return DeliveryResult(False, detail=str(exc), refused=True)
        except (KeyError, ValueError, TypeError) as exc:
            return DeliveryResult(False, detail=f"bad {self.channel} settings: {exc!r}", refused=True)
        except (httpx.HTTPError, OSError) as exc:
            return DeliveryResult(False, detail=f"{type(exc).__name__}: {exc}", retryable=True)
        result = self.check(response)
        if result.delivered:
            self._sent.add(notification.idempotency_key)
        return result


def dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
