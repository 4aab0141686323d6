"""Notification delivery: the task that sends one alert-group notification to one
receiver channel, and the delivery audit.

The alert pipeline queues one task per (group notification, receiver channel) with an
idempotency key; this module runs it, on whichever worker the task queue picks:

1. claim the key in the ``DeliveryLedger`` (Redis ``SET NX`` with Celery): a key already
   delivered is never sent again, and while one worker sends, a racing one backs off;
2. render the channel's template and hand the message to the ``Notifier`` for the
   channel type;
3. record the attempt (outcome, response code, duration) in the delivery audit and the
   alert history, then mark the key sent, or release it and raise so the task queue
   retries with exponential backoff. Permanent failures (a 4xx, a refused address) are
   recorded and not retried.

The task carries no secrets: the worker reads the channel's settings from its own copy
of the alerting configuration, so nothing sensitive sits in the broker.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.alerts.grouping import GroupNotification
from domain.alerts.history import AlertDecision, Outcome, Stage
from domain.errors import NotFound, ValidationError
from domain.metrics.labels import LabelSet
from domain.notifications.delivery import AttemptOutcome, Delivery, DeliveryStatus
from domain.notifications.templates import AlertView, MessageView, iso, render_message
from ports.clock import Clock
from ports.notify import Claim, DeliveryLedger, DeliveryResult, Notifier, OutgoingNotification
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from ports.tasks import TaskQueue
from services.pipeline.config import AlertingConfig, ChannelConfig

log = logging.getLogger(__name__)
NOTIFY_TASK = "notify.deliver"
PAYLOAD_VERSION = 1


class DeliveryFailed(Exception):
    """A delivery that may succeed later: raised so the task queue retries it."""


def delivery_key(tenant: str, n: GroupNotification, channel: str) -> str:
    """One key per (tenant, alert group, receiver, notification, channel).

    ``GroupNotification.idempotency_key`` covers group, receiver, time and content; the
    tenant is added because group keys are functions of labels only (two tenants' groups
    may share one), the channel because a receiver may have several.
    """
    text = "\x00".join((tenant, n.idempotency_key, channel))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _alert_doc(a: AlertView) -> dict[str, Any]:
    return {"fingerprint": a.fingerprint, "status": a.status, "labels": [list(p) for p in a.labels.pairs],
            "annotations": dict(a.annotations), "starts_at_ms": a.starts_at_ms}


def _alert_view(doc: Mapping[str, Any]) -> AlertView:
    return AlertView(doc["fingerprint"], doc["status"], LabelSet(tuple((k, v) for k, v in doc["labels"])),
                     dict(doc.get("annotations") or {}), doc.get("starts_at_ms"))


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """What a delivery task carries: which channel, and the message (no secrets)."""

    key: str
    receiver: str
    channel: str
    channel_type: str
    view: MessageView

    @property
    def tenant(self) -> str:
        return self.view.tenant

    def to_payload(self) -> dict[str, Any]:
        v = self.view
        return {
            "v": PAYLOAD_VERSION, "key": self.key, "tenant": v.tenant, "receiver": self.receiver, "channel": self.channel,
            "channel_type": self.channel_type, "group_key": v.group_key, "at_ms": v.at_ms,
            "group_labels": [list(p) for p in v.group_labels.pairs],
            "firing": [_alert_doc(a) for a in v.firing], "resolved": [_alert_doc(a) for a in v.resolved],
        }

    @classmethod
    def from_payload(cls, doc: Mapping[str, Any]) -> "DeliveryJob":
        if doc.get("v") != PAYLOAD_VERSION:
            raise ValidationError(f"unknown delivery task format {doc.get('v')!r}", field="v")
        try:
            view = MessageView(
                doc["tenant"], doc["receiver"], doc["group_key"], int(doc["at_ms"]),
                tuple(_alert_view(a) for a in doc["firing"]), tuple(_alert_view(a) for a in doc["resolved"]),
                LabelSet(tuple((k, v) for k, v in doc["group_labels"])),
            )
            return cls(doc["key"], doc["receiver"], doc["channel"], doc["channel_type"], view)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"malformed delivery task: {exc!r}", field="payload") from None

    def alerts(self) -> tuple[str, ...]:
        return tuple(a.fingerprint for a in self.view.alerts)

    def new_delivery(self, now_ms: int) -> Delivery:
        v = self.view
        return Delivery(self.key, v.tenant, self.receiver, self.channel, self.channel_type, v.group_key, v.at_ms, now_ms,
                        self.alerts())


def build_job(tenant: str, n: GroupNotification, channel: ChannelConfig, firing: Sequence[AlertView],
              resolved: Sequence[AlertView]) -> DeliveryJob:
    view = MessageView(tenant, n.receiver, n.group_key, n.at_ms, tuple(firing),
                       tuple(resolved) if channel.send_resolved else (), n.group_labels)
    return DeliveryJob(delivery_key(tenant, n, channel.name), n.receiver, channel.name, channel.type, view)


def outgoing(job: DeliveryJob, channel: ChannelConfig) -> OutgoingNotification:
    """The channel's template applied to the job's message."""
    v = job.view
    title, text = render_message(channel.type, v, channel.title, channel.text)
    payload = {
        "tenant": v.tenant, "receiver": job.receiver, "channel": channel.name, "status": v.status,
        "group_key": v.group_key, "group_labels": v.group_labels.as_dict(), "common_labels": v.common_labels,
        "common_annotations": v.common_annotations, "at_ms": v.at_ms,
        "alerts": [{"status": a.status, "fingerprint": a.fingerprint, "labels": a.labels.as_dict(),
                    "annotations": dict(a.annotations), "starts_at": iso(a.starts_at_ms) if a.starts_at_ms else None}
                   for a in v.alerts],
    }
    return OutgoingNotification(job.key, channel.type, channel.settings, title, text, payload)


class NotificationService:
    def __init__(
        self, uow: UnitOfWorkRunner, notifier: Notifier, ledger: DeliveryLedger, config: AlertingConfig, clock: Clock,
        *, max_retries: int = 8, claim_ttl_s: float = 60.0, worker: str = "",
    ) -> None:
        self._uow = uow
        self._notifier = notifier
        self._ledger = ledger
        self.config = config
        self._clock = clock
        self.max_retries = max_retries
        self._claim_ttl_s = claim_ttl_s
        self._worker = worker or secrets.token_hex(4)

    def register(self, tasks: TaskQueue) -> None:
        """Make ``NOTIFY_TASK`` runnable on ``tasks`` (producers and workers both call it)."""
        tasks.register(NOTIFY_TASK, self.deliver, max_retries=self.max_retries)

    # -- the task -------------------------------------------------------------------

    async def deliver(self, payload: Mapping[str, Any]) -> None:
        try:
            job = DeliveryJob.from_payload(payload)
        except ValidationError as exc:  # retrying cannot fix it: say so and drop it
            log.error("dropping a delivery task that cannot be read (%s): key %r", exc.message, payload.get("key"))
            return
        channel = self.config.channel(job.receiver, job.channel)
        if channel is None:
            await self._record(job, AttemptOutcome.REFUSED, DeliveryResult(False, detail=(
                f"receiver {job.receiver!r} has no channel {job.channel!r} in this worker's alerting configuration")))
            return
        owner = f"{self._worker}:{secrets.token_hex(4)}"
        claim = await self._ledger.claim(job.key, owner, self._claim_ttl_s)
        if claim is Claim.SENT:
            await self._record(job, AttemptOutcome.DUPLICATE, DeliveryResult(True, detail="already delivered: nothing sent"))
            return
        if claim is Claim.BUSY:
            await self._record(job, AttemptOutcome.BUSY, DeliveryResult(False, detail="another worker is sending it"))
            raise DeliveryFailed(f"delivery {job.key} is being sent by another worker; checking again later")
        started = time.monotonic()
        try:
            if channel.type not in self._notifier.channels():
                result = DeliveryResult(False, detail=f"no notifier serves channel type {channel.type!r}", refused=True)
            else:
                result = await self._notifier.send(outgoing(job, channel))
        except Exception as exc:  # a bug or an outage in an adapter: treat as transient, keep the detail
            result = DeliveryResult(False, detail=f"{type(exc).__name__}: {exc}", retryable=True)
        duration_ms = int((time.monotonic() - started) * 1000)
        if result.delivered:
            await self._ledger.mark_sent(job.key, owner)
            await self._record(job, AttemptOutcome.SENT, result, duration_ms)
            return
        await self._ledger.release(job.key, owner)
        outcome = AttemptOutcome.REFUSED if result.refused else AttemptOutcome.FAILED
        delivery = await self._record(job, outcome, result, duration_ms)
        if outcome is AttemptOutcome.FAILED and result.retryable and delivery.status is DeliveryStatus.RETRYING:
            raise DeliveryFailed(f"delivery {job.key} to {job.receiver}/{job.channel} failed: {result.detail}")

    async def _record(self, job: DeliveryJob, outcome: AttemptOutcome, result: DeliveryResult, duration_ms: int = 0) -> Delivery:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> Delivery:
            d = uow.deliveries.get(job.tenant, job.key) or job.new_delivery(now)
            final = not result.retryable or d.tries + 1 > self.max_retries
            d.record(outcome, now, status_code=result.status_code, detail=result.detail, duration_ms=duration_ms, give_up=final)
            uow.deliveries.save(d)
            if outcome in (AttemptOutcome.SENT, AttemptOutcome.FAILED, AttemptOutcome.REFUSED):
                what = Outcome.DELIVERED if outcome is AttemptOutcome.SENT else Outcome.FAILED
                code = f" (HTTP {result.status_code})" if result.status_code else ""
                reason = f"{job.channel} ({job.channel_type}) attempt {d.tries}: {outcome.value}{code}"
                reason += f": {result.detail}" if result.detail else ""
                uow.history.add([AlertDecision(job.tenant, fp, Stage.NOTIFY, what, reason, now, job.receiver, job.view.group_key, job.key)
                                 for fp in job.alerts()])
            return d

        delivery = await self._uow.run(work)
        level = logging.INFO if outcome in (AttemptOutcome.SENT, AttemptOutcome.DUPLICATE) else logging.WARNING
        log.log(level, "delivery %s to %s/%s: %s %s", job.key, job.receiver, job.channel, outcome.value, result.detail)
        return delivery

    # -- the audit ------------------------------------------------------------------

    async def deliveries(self, tenant: str, *, statuses: Sequence[DeliveryStatus] = (), receiver: str | None = None,
                         group_key: str | None = None, limit: int = 100) -> list[Delivery]:
        return await self._uow.run(lambda uow: uow.deliveries.list(
            tenant, statuses=statuses, receiver=receiver, group_key=group_key, limit=limit))

    async def delivery(self, tenant: str, key: str) -> Delivery:
        found = await self._uow.run(lambda uow: uow.deliveries.get(tenant, key))
        if found is None:
            raise NotFound(f"no delivery {key!r}")
        return found

    def receivers(self) -> list[dict[str, Any]]:
        """The configured receivers and their channels, without settings (they hold secrets)."""
        return [{"name": name, "channels": [{"name": c.name, "type": c.type, "send_resolved": c.send_resolved} for c in chans]}
                for name, chans in sorted(self.config.receivers.items())]
