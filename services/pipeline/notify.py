"""Stage 7, notify: each group notification becomes one delivery task per channel of its
receiver, queued through the task queue (Celery in production) under the delivery's
idempotency key, with a ``queued`` row in the delivery audit.

Queuing happens after the pass's decisions and audit rows are committed, so the audit
never misses a task that ran. A task that cannot be queued (the broker is down) stays
in an outbox and is queued again on the next tick: a notification is never dropped
because the broker blinked; the key makes the second try harmless.
"""

from __future__ import annotations

import logging

from domain.alerts.history import Outcome, Stage
from domain.metrics.labels import LabelSet
from domain.notifications.templates import AlertView
from ports.tasks import TaskQueue
from services.delivery_jobs import NOTIFY_TASK, build_job
from services.pipeline.config import AlertingConfigs, config_of, load_configs
from services.pipeline.model import AlertEvent, AlertStore, Context, Job, PassKind

log = logging.getLogger(__name__)


class NotifyStage:
    passes = frozenset({PassKind.TICK})

    def __init__(self, configs: AlertingConfigs, store: AlertStore, tasks: TaskQueue, *, max_outbox: int = 10_000) -> None:
        self._configs = configs
        self._store = store
        self._tasks = tasks
        self.outbox: list[Job] = []
        self._max_outbox = max_outbox

    def _view(self, tenant: str, fp: str, labels: LabelSet, status: str) -> AlertView:
        live = self._store.get(tenant, fp)
        return AlertView(fp, status, labels, dict(live.annotations) if live else {}, live.starts_at_ms if live else None)

    async def process(self, ctx: Context, events: list[AlertEvent]) -> list[AlertEvent]:
        """Turn the tick's group notifications into queued deliveries (audit rows,
        decisions, jobs); the events pass unchanged."""
        await load_configs(ctx.cache, self._configs, {tenant for tenant, _ in ctx.notifications})
        for tenant, n in ctx.notifications:
            firing = [self._view(tenant, a.fingerprint, a.labels, "firing") for a in n.firing]
            resolved = [self._view(tenant, a.fingerprint, a.labels, "resolved") for a in n.resolved]
            status = {a.fingerprint: "firing" for a in n.firing} | {a.fingerprint: "resolved" for a in n.resolved}
            channels = config_of(ctx.cache, tenant).channels(n.receiver)
            if not channels:
                for fp in status:
                    ctx.decide_for(tenant, fp, Stage.NOTIFY, Outcome.SKIPPED, f"receiver {n.receiver} has no channels",
                                   receiver=n.receiver, group_key=n.group_key)
                continue
            for channel in channels:
                if not n.firing and not channel.send_resolved:
                    for fp in status:
                        ctx.decide_for(tenant, fp, Stage.NOTIFY, Outcome.SKIPPED, f"{channel.name}: send_resolved is off",
                                       receiver=n.receiver, group_key=n.group_key)
                    continue
                job = build_job(tenant, n, channel, firing, resolved)
                ctx.deliveries.append(job.new_delivery(ctx.now_ms))
                ctx.jobs.append(Job(job.key, job.to_payload()))
                for a in job.message.view.alerts:
                    ctx.decide_for(tenant, a.fingerprint, Stage.NOTIFY, Outcome.QUEUED,
                                   f"{status[a.fingerprint]}, in a notification of {len(n.firing)} firing and "
                                   f"{len(job.message.view.resolved)} resolved alert(s) queued for {channel.name} ({channel.type})",
                                   receiver=n.receiver, group_key=n.group_key, key=job.key)
        return events

    async def dispatch(self, jobs: list[Job]) -> None:
        """Queue ``jobs`` (and whatever the outbox still holds)."""
        pending, self.outbox = self.outbox + jobs, []
        for i, job in enumerate(pending):
            try:
                await self._tasks.enqueue(NOTIFY_TASK, job.payload, idempotency_key=job.key)
            except LookupError:
                raise  # a wiring bug, not an outage
            except Exception as exc:
                log.error("could not queue delivery %s (kept for the next tick): %s", job.key, exc)
                self.outbox += pending[i:]
                if len(self.outbox) > self._max_outbox:  # bounded: an outage must not eat the memory
                    dropped = len(self.outbox) - self._max_outbox
                    log.error("the broker has been down long: dropping the %d oldest queued deliveries", dropped)
                    del self.outbox[:dropped]
                return
