"""Reading an outgoing call's answer within bounds: a size cap and a total deadline.

httpx's timeouts are per operation (connect, each read): a far side that trickles one
byte every few seconds, or streams an endless body, keeps a delivery, a Kubernetes call
or a runbook step going indefinitely and its body in memory. Every guarded call reads
its answer through ``send_bounded``: the whole exchange (connecting, sending, reading)
must finish within ``deadline_s``, and the body is read as a stream and cut at
``max_bytes`` (after decompression, so a gzip bomb is cut too): truncated where only a
snippet is kept (notification answers, runbook answers), refused where the whole body
is needed (Kubernetes objects).
"""

from __future__ import annotations

import asyncio

import httpx


class ResponseTooLarge(Exception):
    """The answer's body is over the cap (and the caller needs all of it)."""


class DeadlineExceeded(TimeoutError):
    """The call did not finish within its total deadline (a ``TimeoutError``, so an
    ``OSError``: callers already treat those as worth retrying)."""


async def send_bounded(client: httpx.AsyncClient, request: httpx.Request, *, max_bytes: int, deadline_s: float,
                       truncate: bool = False) -> httpx.Response:
    """Send ``request`` and read the answer within the bounds. With ``truncate`` a longer
    body is cut at ``max_bytes``; without, it raises ``ResponseTooLarge``. The response
    returned is fully read (its body decoded, at most ``max_bytes``)."""
    try:
        async with asyncio.timeout(deadline_s):
            response = await client.send(request, stream=True)
            try:
                body, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        if not truncate:
                            raise ResponseTooLarge(f"the answer of {request.method} {request.url.host} is over "
                                                   f"{max_bytes} bytes")
                        body.append(chunk[: max_bytes - (size - len(chunk))])
                        break
                    body.append(chunk)
            finally:
                await response.aclose()
    except TimeoutError:
        raise DeadlineExceeded(f"{request.method} {request.url.host}: no complete answer within {deadline_s:g}s") from None
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in ("content-encoding", "content-length")]
    return httpx.Response(response.status_code, headers=headers, content=b"".join(body), request=request,
                          extensions=response.extensions)
