"""WebSocket ``/api/v1/stream``: live samples, alerts and incidents (docs/streaming.md).

The rules (filtering, coalescing, the slow-client bound) live in ``services.streaming``;
this adapter authenticates, speaks JSON over the socket and closes it with the code the
service decided. Three tasks per connection: a receiver (subscribe / unsubscribe /
ping), a sender (whatever the client's bounded backlog holds) and a watchdog (drops a
client that stays over its bound past the grace period even if nothing new arrives).
One lock orders the socket's writes, so a client that does not read stops being read.

Credentials are checked by the authentication middleware before the handshake is
answered: ``Authorization: Bearer <key>`` (scripts), a single-use ``?ticket=`` from
``POST /api/v1/stream/tickets`` (browsers cannot set headers on a WebSocket), or the
session cookie of a same-origin page. No API key ever travels in the URL.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from adapters.http.deps import ApiServices, current_principal
from domain.errors import AuthenticationFailed, DomainError, PermissionDenied, ValidationError
from domain.identity.permissions import Permission
from services.streaming import StreamClient

log = logging.getLogger(__name__)
router = APIRouter(tags=["stream"])

PROTOCOL = "observer-eye.v1"
MAX_MESSAGE_CHARS = 64 * 1024
POLICY_VIOLATION, TOO_BIG, SERVER_ERROR = 1008, 1009, 1011
_FEEDS = (("series", Permission.READ_TELEMETRY), ("alerts", Permission.READ_ALERTS),
          ("incidents", Permission.READ_INCIDENTS))


def _reason(text: str) -> str:
    """A close reason fits in 123 bytes of UTF-8 (RFC 6455 §5.5)."""
    data = text.encode()
    return text if len(data) <= 123 else data[:120].decode(errors="ignore") + "..."


@router.websocket("/api/v1/stream")
async def stream(ws: WebSocket) -> None:
    svc: ApiServices = ws.app.state.services
    subprotocol = PROTOCOL if PROTOCOL in (ws.scope.get("subprotocols") or ()) else None
    try:
        principal = current_principal(ws)  # the authentication middleware's verdict
        if principal is None:
            raise ws.scope["state"].get("auth_error") or AuthenticationFailed(
                "credential required: a ticket from POST /api/v1/stream/tickets, the session cookie, "
                "or 'Authorization: Bearer <API key>'")
        allowed = frozenset(feed for feed, perm in _FEEDS if principal.can(perm))
        if not allowed:
            raise PermissionDenied("this credential may read neither telemetry, alerts nor incidents")
    except (AuthenticationFailed, PermissionDenied) as exc:
        # Accept, then close with the reason: a refused handshake would only show the
        # browser an opaque failure.
        await ws.accept(subprotocol=subprotocol)
        await ws.close(POLICY_VIOLATION, _reason(str(exc)))
        return
    await ws.accept(subprotocol=subprotocol)
    if svc.stream is None:
        await ws.close(SERVER_ERROR, "live updates are not configured on this server")
        return
    hub = svc.stream
    client = hub.connect(principal.tenant, allowed)
    lock = asyncio.Lock()
    try:
        await _send(ws, lock, {"type": "hello", "tenant": principal.tenant, "feeds": sorted(allowed), "limits": {
            "max_pending_series": hub.limits.max_pending_series, "max_pending_events": hub.limits.max_pending_events,
            "slow_grace_s": hub.limits.slow_grace_s, "max_selectors": hub.limits.max_selectors}})
        tasks = [
            asyncio.create_task(_receiver(ws, lock, client), name="stream receiver"),
            asyncio.create_task(_sender(ws, lock, client), name="stream sender"),
            asyncio.create_task(_watchdog(client), name="stream watchdog"),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if client.closed.is_set() and ws.client_state is WebSocketState.CONNECTED:
            try:
                await asyncio.wait_for(ws.close(client.close_code, _reason(client.close_reason)), 5)
            except (TimeoutError, RuntimeError, OSError, WebSocketDisconnect):
                pass  # the peer is gone or stuck: the server drops the transport
    except WebSocketDisconnect:
        pass
    finally:
        hub.disconnect(client)


async def _send(ws: WebSocket, lock: asyncio.Lock, doc: dict[str, Any]) -> None:
    text = json.dumps(doc, separators=(",", ":"))
    async with lock:
        await ws.send_text(text)


async def _sender(ws: WebSocket, lock: asyncio.Lock, client: StreamClient) -> None:
    while True:
        messages = await client.next_messages()
        if not messages:
            return  # closed
        for doc in messages:
            await _send(ws, lock, doc)


async def _watchdog(client: StreamClient) -> None:
    tick = min(max(client.limits.slow_grace_s / 4, 0.05), 1.0)
    while not client.closed.is_set():
        try:
            await asyncio.wait_for(client.closed.wait(), tick)
        except TimeoutError:
            client.check()


async def _receiver(ws: WebSocket, lock: asyncio.Lock, client: StreamClient) -> None:
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            data = message.get("bytes") or b""
            text = data.decode("utf-8", errors="replace")
        if len(text) > MAX_MESSAGE_CHARS:
            client.drop(TOO_BIG, f"a message may have at most {MAX_MESSAGE_CHARS} characters")
            return
        await _send(ws, lock, handle_message(client, text))


def handle_message(client: StreamClient, text: str) -> dict[str, Any]:
    """One client request and its answer (``subscribed``, ``pong`` or ``error``)."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
        return {"type": "error", "message": "a message is a JSON object like {\"op\": \"subscribe\", ...}"}
    if not isinstance(doc, dict):
        return {"type": "error", "message": "a message is a JSON object like {\"op\": \"subscribe\", ...}"}
    op, ref = doc.get("op"), doc.get("id")
    try:
        if op == "subscribe":
            reply = client.subscribe(doc.get("series", []), _flag(doc, "alerts"), _flag(doc, "incidents"))
        elif op == "unsubscribe":
            reply = client.unsubscribe(doc.get("series"), _flag(doc, "alerts"), _flag(doc, "incidents"))
        elif op == "ping":
            reply = {"type": "pong"}
        else:
            raise ValidationError(f"unknown op {op!r}: use subscribe, unsubscribe or ping", field="op")
    except ValidationError as exc:
        reply = {"type": "error", "op": op, "message": exc.message, "field": exc.field}
    except DomainError as exc:  # PermissionDenied
        reply = {"type": "error", "op": op, "message": str(exc)}
    if ref is not None:
        reply = {**reply, "id": ref}
    return reply


def _flag(doc: dict[str, Any], name: str) -> bool:
    value = doc.get(name, False)
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", field=name)
    return value
