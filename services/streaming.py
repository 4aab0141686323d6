"""Live updates for WebSocket clients: channels, per-client filtering and back-pressure.

Why it is a service and not part of the HTTP route: the rules (what a client sees, how
a slow one is treated) are the product's, and tests drive them without sockets.

**Channels** (on the ``PubSub`` port: in-process, or Redis so that any API replica
serves any client): ``series:<tenant>`` (the writer, after storing), ``alerts:<tenant>``
(the evaluator, after saving a transition), ``incidents:<tenant>`` (the incident
domain events, from the outbox: ``services.incident_feed``). Payloads are JSON objects
with a ``type``.

**Fan-out**: one ``StreamHub`` per process holds *one* subscription per tenant that has
connected clients, and dispatches each message to those clients (decoded once). A
thousand browsers are a thousand small in-memory states, not a thousand subscriptions.

**Slow clients**: each client's backlog is bounded. Samples are coalesced (only the
newest value per series id is kept, so a client that falls behind gets the latest
picture, not a replay); alert and incident events queue up to a bound, the oldest
dropped beyond it. Whatever had to be dropped is reported to the client (an
``overflow`` message) at its next pick-up. A client whose backlog stayed over the bound
for longer than the grace period without picking anything up is dropped (the route
closes it with 1013 "try again later"). Memory per client is therefore at most the
bounded backlog plus the batch being sent, whatever the client does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.alerts.state import AlertTransition
from domain.errors import LimitExceeded, PermissionDenied, ValidationError
from domain.incidents.events import EVENT_TYPES
from domain.incidents.incident import Incident
from domain.metrics.labels import LabelSet
from domain.metrics.query import Selector
from domain.metrics.samples import json_value
from ports.cache import PubSub
from services.writer import series_channel

log = logging.getLogger(__name__)

__all__ = ["StreamClient", "StreamHub", "StreamLimits", "alerts_channel", "incidents_channel", "series_channel",
           "alert_event", "incident_event", "publish_event"]


def alerts_channel(tenant: str) -> str:
    return f"alerts:{tenant}"


def incidents_channel(tenant: str) -> str:
    return f"incidents:{tenant}"


def alert_event(t: AlertTransition, annotations: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    return {
        "type": "alert", "fingerprint": t.fingerprint, "rule_id": t.rule_id, "from": t.from_state.value,
        "to": t.to_state.value, "at_ms": t.at_ms, "labels": t.labels.as_dict(), "value": json_value(t.value),
        "annotations": dict(annotations),
    }


def incident_event(event: Mapping[str, Any], incident: Incident | None) -> dict[str, Any]:
    """An incident domain event (``domain.incidents.events.to_dict``) for the live feed:
    what changed (``change``: the timeline entry's kind; ``event``: the event itself),
    and the incident as the list endpoint shows it (no timeline), as stored when it was
    published: its ``version`` is at least the event's."""
    doc: dict[str, Any] = {"type": "incident", "change": EVENT_TYPES[event["kind"]].entry, "event": dict(event)}
    if incident is not None:
        doc["incident"] = {
            "id": incident.id, "title": incident.title, "severity": incident.severity.value,
            "status": incident.status.value, "version": incident.version, "alerts": list(incident.alerts),
            "summary": incident.summary, "opened_at_ms": incident.opened_at_ms,
            "acknowledged_at_ms": incident.acknowledged_at_ms, "mitigated_at_ms": incident.mitigated_at_ms,
            "resolved_at_ms": incident.resolved_at_ms, "closed_at_ms": incident.closed_at_ms,
        }
    return doc


async def publish_event(pubsub: PubSub | None, channel: str, doc: Mapping[str, Any]) -> None:
    """Best effort: a live update must never fail the change it reports (which is
    already committed); a lost one is superseded by the next."""
    if pubsub is None:
        return
    try:
        await pubsub.publish(channel, json.dumps(doc, separators=(",", ":")).encode())
    except Exception:
        log.warning("live update on %s not published", channel, exc_info=True)


@dataclass(frozen=True, slots=True)
class StreamLimits:
    max_pending_series: int = 10_000  # distinct series waiting for one client (coalesced)
    max_pending_events: int = 1_000  # alert/incident events waiting for one client
    slow_grace_s: float = 10.0  # how long a client may stay over the bound without picking up
    max_selectors: int = 100
    max_series_per_message: int = 1_000


@dataclass(frozen=True, slots=True)
class _LiveSeries:
    name: str
    labels: LabelSet
    id: str
    t: int
    doc: dict[str, Any]


@dataclass
class _Dropped:
    series: int = 0
    events: int = 0


class StreamClient:
    """One connection: what it subscribed to and its bounded backlog."""

    def __init__(self, tenant: str, limits: StreamLimits, *, allowed: frozenset[str] = frozenset({"series", "alerts", "incidents"}),
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.tenant = tenant
        self.limits = limits
        self.allowed = allowed
        self.selectors: dict[str, Selector] = {}
        self.alerts = False
        self.incidents = False
        self._monotonic = monotonic
        self._series: dict[str, dict[str, Any]] = {}  # id -> newest sample (coalesced)
        self._series_t: dict[str, int] = {}
        self._events: deque[dict[str, Any]] = deque()
        self._dropped = _Dropped()
        self._lagging_since: float | None = None
        self._wakeup = asyncio.Event()
        self.closed = asyncio.Event()
        self.close_code = 1000
        self.close_reason = ""

    # -- subscriptions -------------------------------------------------------------------

    def subscribe(self, series: Sequence[str] = (), alerts: bool = False, incidents: bool = False) -> dict[str, Any]:
        """Add selectors and switch feeds on; all of the request or none of it."""
        parsed = self._parse(series)
        for kind, wanted in (("series", bool(parsed)), ("alerts", alerts), ("incidents", incidents)):
            if wanted and kind not in self.allowed:
                raise PermissionDenied(f"this credential may not read {kind}")
        new = {str(s): s for s in parsed if str(s) not in self.selectors}
        if len(self.selectors) + len(new) > self.limits.max_selectors:
            raise LimitExceeded(f"at most {self.limits.max_selectors} selectors per connection", field="series",
                                limit="max_selectors", value=self.limits.max_selectors)
        self.selectors.update(new)
        self.alerts = self.alerts or alerts
        self.incidents = self.incidents or incidents
        return self.state()

    def unsubscribe(self, series: Sequence[str] | None = None, alerts: bool = False, incidents: bool = False) -> dict[str, Any]:
        """Remove the given selectors and switch off the given feeds; with nothing
        given (``series`` None and no flag), everything."""
        if series is None and not alerts and not incidents:
            self.selectors.clear()
            self.alerts = self.incidents = False
        else:
            for s in self._parse(series or ()):
                self.selectors.pop(str(s), None)
            self.alerts = self.alerts and not alerts
            self.incidents = self.incidents and not incidents
        keep = self._series
        self._series = {k: v for k, v in keep.items() if self._selected(v["name"], v["labels"])}
        self._series_t = {k: self._series_t[k] for k in self._series}
        return self.state()

    def state(self) -> dict[str, Any]:
        return {"type": "subscribed", "series": sorted(self.selectors), "alerts": self.alerts, "incidents": self.incidents}

    def _parse(self, series: Sequence[str]) -> list[Selector]:
        if isinstance(series, str) or not isinstance(series, (list, tuple)):
            raise ValidationError("series must be a list of selectors", field="series")
        out = []
        for i, text in enumerate(series):
            if not isinstance(text, str):
                raise ValidationError("a selector is a string like cpu_usage{host=\"a\"}", field=f"series[{i}]")
            try:
                out.append(Selector.parse(text))
            except ValidationError as exc:
                raise ValidationError(exc.message, field=f"series[{i}]") from None
        return out

    def _selected(self, name: str, labels: Mapping[str, str] | LabelSet) -> bool:
        ls = labels if isinstance(labels, LabelSet) else LabelSet(tuple(sorted(labels.items())))
        return any(sel.matches(name, ls) for sel in self.selectors.values())

    # -- what the hub offers ---------------------------------------------------------------

    def offer_samples(self, series: Sequence[_LiveSeries]) -> None:
        if self.closed.is_set() or not self.selectors:
            return
        selectors = list(self.selectors.values())
        for s in series:
            if not any(sel.matches(s.name, s.labels) for sel in selectors):
                continue
            if s.id in self._series:
                if s.t >= self._series_t[s.id]:
                    self._series[s.id] = s.doc
                    self._series_t[s.id] = s.t
                continue
            if len(self._series) >= self.limits.max_pending_series:
                self._dropped.series += 1
                self._overflowed()
                continue
            self._series[s.id] = s.doc
            self._series_t[s.id] = s.t
        if self._series:
            self._wakeup.set()

    def offer_event(self, doc: dict[str, Any]) -> None:
        kind = doc.get("type")
        if self.closed.is_set() or not ((kind == "alert" and self.alerts) or (kind == "incident" and self.incidents)):
            return
        if len(self._events) >= self.limits.max_pending_events:
            self._events.popleft()
            self._dropped.events += 1
            self._overflowed()
        self._events.append(doc)
        self._wakeup.set()

    def _overflowed(self) -> None:
        if self._lagging_since is None:
            self._lagging_since = self._monotonic()
        self.check()

    def check(self) -> None:
        """Drop the client if it has been over its bound for longer than the grace period."""
        since = self._lagging_since
        if since is not None and not self.closed.is_set() and self._monotonic() - since >= self.limits.slow_grace_s:
            self.drop(1013, f"too slow: backlog over its bound for {self.limits.slow_grace_s:g}s; reconnect")

    def drop(self, code: int, reason: str) -> None:
        self.close_code, self.close_reason = code, reason
        self._series.clear()
        self._series_t.clear()
        self._events.clear()
        self.closed.set()
        self._wakeup.set()

    # -- what the sender takes -------------------------------------------------------------

    def pending(self) -> int:
        return len(self._series) + len(self._events)

    def take(self) -> list[dict[str, Any]]:
        """Everything pending, as messages: an overflow notice if updates were lost,
        the events in order, then the coalesced samples in chunks."""
        out: list[dict[str, Any]] = []
        if self._dropped.series or self._dropped.events:
            out.append({"type": "overflow", "dropped_series_updates": self._dropped.series,
                        "dropped_events": self._dropped.events})
            self._dropped = _Dropped()
        out.extend(self._events)
        self._events.clear()
        docs = list(self._series.values())
        self._series.clear()
        self._series_t.clear()
        step = self.limits.max_series_per_message
        out.extend({"type": "samples", "series": docs[i:i + step]} for i in range(0, len(docs), step))
        self._lagging_since = None
        self._wakeup.clear()
        return out

    async def next_messages(self) -> list[dict[str, Any]]:
        """Wait until something is pending (or the client is closed: then [])."""
        while not self.pending() and not self.closed.is_set():
            self._wakeup.clear()
            await self._wakeup.wait()
        return [] if self.closed.is_set() else self.take()


@dataclass
class _Feed:
    task: asyncio.Task[None] | None = None
    clients: set[StreamClient] = field(default_factory=set)


class StreamHub:
    """One subscription per tenant with clients in this process, fanned out to them."""

    def __init__(self, pubsub: PubSub, limits: StreamLimits | None = None, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._pubsub = pubsub
        self.limits = limits or StreamLimits()
        self._monotonic = monotonic
        self._feeds: dict[str, _Feed] = {}

    def connect(self, tenant: str, allowed: frozenset[str] = frozenset({"series", "alerts", "incidents"})) -> StreamClient:
        """A new client of ``tenant``; it receives what is published from now on."""
        client = StreamClient(tenant, self.limits, allowed=allowed, monotonic=self._monotonic)
        feed = self._feeds.get(tenant)
        if feed is None:
            feed = self._feeds[tenant] = _Feed()
            # subscribe() registers at once: nothing published after connect() is missed.
            updates = self._pubsub.subscribe([series_channel(tenant), alerts_channel(tenant), incidents_channel(tenant)])
            feed.task = asyncio.create_task(self._pump(tenant, feed, updates), name=f"stream feed {tenant}")
        feed.clients.add(client)
        return client

    def disconnect(self, client: StreamClient) -> None:
        feed = self._feeds.get(client.tenant)
        if feed is None:
            return
        feed.clients.discard(client)
        if not feed.clients:
            del self._feeds[client.tenant]
            if feed.task is not None:
                feed.task.cancel()

    def clients(self, tenant: str) -> int:
        feed = self._feeds.get(tenant)
        return len(feed.clients) if feed else 0

    def check_all(self) -> None:
        for feed in list(self._feeds.values()):
            for client in list(feed.clients):
                client.check()

    async def close(self) -> None:
        feeds = list(self._feeds.values())
        self._feeds.clear()
        for feed in feeds:
            for client in feed.clients:
                client.drop(1001, "server shutting down")
            if feed.task is not None:
                feed.task.cancel()
        await asyncio.gather(*(f.task for f in feeds if f.task is not None), return_exceptions=True)

    async def _pump(self, tenant: str, feed: _Feed, updates) -> None:
        try:
            async for channel, payload in updates:
                self.dispatch(feed.clients, channel, payload)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The subscription broke (e.g. Redis refused it): tell the clients to come
            # back rather than leave them connected to a feed that never speaks.
            log.exception("live feed of tenant %s failed", tenant)
            for client in list(feed.clients):
                client.drop(1011, "live feed unavailable; reconnect")
            if self._feeds.get(tenant) is feed:
                del self._feeds[tenant]

    def dispatch(self, clients: set[StreamClient], channel: str, payload: bytes) -> None:
        try:
            doc = json.loads(payload)
            if doc.get("type") == "samples":
                series = [
                    _LiveSeries(s["name"], LabelSet(tuple(sorted(s["labels"].items()))), str(s["id"]), int(s["t"]), s)
                    for s in doc["series"]
                ]
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("unreadable live update on %s dropped", channel)
            return
        for client in list(clients):
            if doc.get("type") == "samples":
                client.offer_samples(series)
            else:
                client.offer_event(doc)
