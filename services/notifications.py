"""One delivery path for every notification: an alert group's to a receiver's channel
(queued by the alert pipeline) and a page, reminder or approval request to a person
(queued by the incident workflows' activities). One ``Delivery`` type, one ledger, one
retry policy (the task queue's) and one audit (docs/adr/0014-one-alert-path.md).

The task (``notify.deliver``) runs on whichever worker the task queue picks:

1. find the destination: the receiver's channel in the tenant's alerting
   configuration, or the person's contact in the on-call directory (the task carries
   no secrets);
2. claim the key in the ``DeliveryLedger`` (Redis with Celery): a key already
   delivered is never sent again, and while one worker sends, a racing one backs off;
3. send, within ``send_deadline_s``: shorter than the claim (``claim_ttl_s``), so a
   send never outlives its claim and no second worker can send the same key meanwhile;
4. record the attempt (outcome, response code, duration) in the delivery audit (and,
   for alert groups, in the alerts' history), then mark the key sent, or release it
   and raise so the task queue retries with exponential backoff. Permanent failures (a
   4xx, a refused address, an unknown channel) are recorded and not retried.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any

from domain.alerts.history import AlertDecision, Outcome, Stage
from domain.errors import NotFound, ValidationError
from domain.notifications.delivery import AttemptOutcome, Delivery, DeliveryStatus
from ports.clock import Clock
from ports.notify import Claim, DeliveryLedger, DeliveryResult, Notifier, OutgoingNotification
from ports.oncall import Contact, OnCallDirectory
from ports.repositories import DeliveryQuery, UnitOfWork, UnitOfWorkRunner
from ports.tasks import TaskQueue
from services.delivery_jobs import NOTIFY_TASK, DeliveryJob, DeliveryReceipt, GroupMessage, PersonMessage
from services.pipeline.config import AlertingConfigs

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """A delivery that may succeed later: raised so the task queue retries it."""


class NotificationService:
    def __init__(
        self, uow: UnitOfWorkRunner, notifier: Notifier, ledger: DeliveryLedger, configs: AlertingConfigs, clock: Clock,
        tasks: TaskQueue, directory: OnCallDirectory, *, max_retries: int = 8, claim_ttl_s: float = 60.0,
        send_deadline_s: float = 45.0, fallback_channel: str = "log", worker: str = "",
    ) -> None:
        if not 0 < send_deadline_s < claim_ttl_s:
            raise ValidationError(f"the send deadline ({send_deadline_s}s) must be shorter than the delivery claim "
                                  f"({claim_ttl_s}s), or a slow send could go out twice", field="notify_send_deadline_s")
        self._uow = uow
        self._notifier = notifier
        self._ledger = ledger
        self.configs = configs
        self._clock = clock
        self._tasks = tasks
        self._directory = directory
        self.max_retries = max_retries
        self._claim_ttl_s = claim_ttl_s
        self._deadline_s = send_deadline_s
        self._fallback = fallback_channel
        self._worker = worker or secrets.token_hex(4)
        tasks.register(NOTIFY_TASK, self.deliver, max_retries=max_retries)  # producers and workers alike

    # -- queuing ----------------------------------------------------------------------

    async def queue(self, job: DeliveryJob) -> DeliveryReceipt:
        """Record ``job`` in the audit (queued) and queue its task; idempotent by key:
        queuing a key again changes nothing and answers the delivery's status."""
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> Delivery:
            uow.deliveries.add_if_absent(job.new_delivery(now))
            found = uow.deliveries.get(job.tenant, job.key)
            assert found is not None
            return found

        delivery = await self._uow.run(work)
        if delivery.status is not DeliveryStatus.SENT:
            await self._tasks.enqueue(NOTIFY_TASK, job.to_payload(), idempotency_key=job.key)
        return DeliveryReceipt(job.key, delivery.to, delivery.channel, delivery.sent,
                               "already delivered" if delivery.sent else "queued", delivery.sent, delivery.status.value)

    # -- the task ---------------------------------------------------------------------

    async def deliver(self, payload: Mapping[str, Any]) -> None:
        try:
            job = DeliveryJob.from_payload(payload)
        except ValidationError as exc:  # retrying cannot fix it: say so and drop it
            log.error("dropping a delivery task that cannot be read (%s): key %r", exc.message, payload.get("key"))
            return
        note, refusal = await self._outgoing(job)
        if note is None:
            await self._record(job, AttemptOutcome.REFUSED, DeliveryResult(False, detail=refusal))
            return
        owner = f"{self._worker}:{secrets.token_hex(4)}"
        claim = await self._ledger.claim(job.key, owner, self._claim_ttl_s)
        if claim is Claim.SENT:
            await self._record(job, AttemptOutcome.DUPLICATE, DeliveryResult(True, detail="already delivered: nothing sent"),
                               note=note)
            return
        if claim is Claim.BUSY:
            await self._record(job, AttemptOutcome.BUSY, DeliveryResult(False, detail="another worker is sending it"),
                               note=note)
            raise DeliveryFailed(f"delivery {job.key} is being sent by another worker; checking again later")
        started = time.monotonic()
        result = await self._send(note)
        duration_ms = int((time.monotonic() - started) * 1000)
        if result.delivered:
            await self._ledger.mark_sent(job.key, owner)
            await self._record(job, AttemptOutcome.SENT, result, duration_ms, note)
            return
        await self._ledger.release(job.key, owner)
        outcome = AttemptOutcome.REFUSED if result.refused else AttemptOutcome.FAILED
        delivery = await self._record(job, outcome, result, duration_ms, note)
        if outcome is AttemptOutcome.FAILED and result.retryable and delivery.status is DeliveryStatus.RETRYING:
            raise DeliveryFailed(f"delivery {job.key} to {delivery.to}/{note.channel} failed: {result.detail}")

    async def _outgoing(self, job: DeliveryJob) -> tuple[OutgoingNotification | None, str]:
        """The notification as the channel will get it, or why there is none."""
        m = job.message
        if isinstance(m, GroupMessage):
            channel = (await self.configs.for_tenant(job.tenant)).channel(m.receiver, m.channel)
            if channel is None:  # perhaps added a moment ago (a receiver's test): read it afresh once
                self.configs.invalidate(job.tenant)
                channel = (await self.configs.for_tenant(job.tenant)).channel(m.receiver, m.channel)
            if channel is None:
                return None, f"receiver {m.receiver!r} has no channel {m.channel!r} in this worker's alerting configuration"
            note = m.outgoing(job.key, channel)
        else:
            assert isinstance(m, PersonMessage)
            note = m.outgoing(job.key, job.tenant, await self._directory.contact(job.tenant, m.user)
                              or _fallback(m.user, self._fallback))
        if note.channel not in self._notifier.channels():
            return None, f"no notifier serves channel type {note.channel!r}"
        return note, ""

    async def _send(self, note: OutgoingNotification) -> DeliveryResult:
        """One send, cut off at the deadline (the channel adapters stop their I/O when
        cancelled), so it ends while its claim still holds."""
        try:
            return await asyncio.wait_for(self._notifier.send(note), self._deadline_s)
        except TimeoutError:
            return DeliveryResult(False, detail=f"no answer within the send deadline ({self._deadline_s:g}s)",
                                  retryable=True)
        except Exception as exc:  # a bug or an outage in an adapter: treat as transient, keep the detail
            return DeliveryResult(False, detail=f"{type(exc).__name__}: {exc}", retryable=True)

    async def _record(self, job: DeliveryJob, outcome: AttemptOutcome, result: DeliveryResult, duration_ms: int = 0,
                      note: OutgoingNotification | None = None) -> Delivery:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> Delivery:
            d = uow.deliveries.get(job.tenant, job.key) or job.new_delivery(now)
            if note is not None and isinstance(job.message, PersonMessage):
                d.channel = d.channel_type = note.channel  # a person's channel is known once looked up
            final = not result.retryable or d.tries + 1 > self.max_retries
            d.record(outcome, now, status_code=result.status_code, detail=result.detail, duration_ms=duration_ms, give_up=final)
            uow.deliveries.save(d)
            if outcome in (AttemptOutcome.SENT, AttemptOutcome.FAILED, AttemptOutcome.REFUSED) and job.alerts():
                m = job.message
                assert isinstance(m, GroupMessage)
                what = Outcome.DELIVERED if outcome is AttemptOutcome.SENT else Outcome.FAILED
                code = f" (HTTP {result.status_code})" if result.status_code else ""
                reason = f"{m.channel} ({m.channel_type}) attempt {d.tries}: {outcome.value}{code}"
                reason += f": {result.detail}" if result.detail else ""
                uow.history.add([AlertDecision(job.tenant, fp, Stage.NOTIFY, what, reason, now, m.receiver, m.view.group_key,
                                               job.key) for fp in job.alerts()])
            return d

        delivery = await self._uow.run(work)
        level = logging.INFO if outcome in (AttemptOutcome.SENT, AttemptOutcome.DUPLICATE) else logging.WARNING
        log.log(level, "delivery %s to %s/%s: %s %s", job.key, delivery.to, delivery.channel, outcome.value, result.detail)
        return delivery

    # -- the audit ------------------------------------------------------------------

    async def deliveries(self, tenant: str, query: DeliveryQuery | None = None) -> list[Delivery]:
        """Newest first: every delivery, or those ``query`` picks."""
        return await self._uow.run(lambda uow: uow.deliveries.list(tenant, query or DeliveryQuery()))

    async def delivery(self, tenant: str, key: str) -> Delivery:
        found = await self._uow.run(lambda uow: uow.deliveries.get(tenant, key))
        if found is None:
            raise NotFound(f"no delivery {key!r}")
        return found

    async def receivers(self, tenant: str) -> list[dict[str, Any]]:
        """The tenant's receivers and their channels, without settings (they hold secrets)."""
        config = await self.configs.for_tenant(tenant)
        return [{"name": name, "channels": [{"name": c.name, "type": c.type, "send_resolved": c.send_resolved} for c in chans]}
                for name, chans in sorted(config.receivers.items())]


def _fallback(user: str, channel: str) -> Contact:
    """Someone without contact details: the fallback channel, so the page is at least on record."""
    return Contact(user, channel, {})
