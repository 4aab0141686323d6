"""The clock's mute checks (a tick's first and next-to-last stages).

Alertmanager decides mutes when a group flushes; we decide them on arrival (to record
them and keep muted alerts out of incidents) and look again on every tick:

* ``RemuteStage`` (first): every firing alert whose mute changed since it was last
  looked at (its silence ended, its inhibiting alert resolved, or it got muted) goes
  on as an event, so it enters its incident and groups, or is withdrawn from them;
* ``ResolvedMuteStage`` (before notify): resolutions muted *now* are left out of the
  notifications the tick flushed (a silenced alert's recovery pages nobody).

Hence no notification ever carries an alert that is silenced or inhibited when it is
sent (docs/adr/0005-alert-pipeline.md).
"""

from __future__ import annotations

from dataclasses import replace

from domain.alerts.state import AlertState
from domain.metrics.labels import LabelSet
from services.pipeline.inhibit import InhibitStage
from services.pipeline.model import AlertEvent, AlertStore, Context, Mute, PassKind
from services.pipeline.silence import SilenceStage


class _Mutes:
    def __init__(self, silence: SilenceStage, inhibit: InhibitStage) -> None:
        self._silence = silence
        self._inhibit = inhibit

    async def load(self, ctx: Context, tenants: set[str]) -> None:
        await self._silence.load(ctx, tenants)
        await self._inhibit.load(ctx, tenants)

    def mute(self, ctx: Context, tenant: str, labels: LabelSet) -> Mute | None:
        return self._silence.mute(ctx, tenant, labels) or self._inhibit.mute(ctx, tenant, labels)


class RemuteStage(_Mutes):
    passes = frozenset({PassKind.TICK})

    def __init__(self, store: AlertStore, silence: SilenceStage, inhibit: InhibitStage) -> None:
        super().__init__(silence, inhibit)
        self._store = store

    async def process(self, ctx: Context, events: list[AlertEvent]) -> list[AlertEvent]:
        firing = list(self._store.firing())
        if not firing:
            return events
        await self.load(ctx, {a.tenant for a in firing})
        out = list(events)
        for a in firing:
            mute = self.mute(ctx, a.tenant, a.labels)
            old = a.mute
            if (old and old.key) == (mute and mute.key):
                continue
            if mute is None:
                assert old is not None
                ctx.decide(a, old.stage, old.lifted, f"no longer {old.outcome.value}: {old.reason}")
            else:
                ctx.decide(a, mute.stage, mute.outcome, f"firing: {mute.reason}")
            a.mute = mute
            if (old is None) != (mute is None):
                out.append(AlertEvent(a, AlertState.FIRING, ctx.now_ms, mute=mute))
        return out


class ResolvedMuteStage(_Mutes):
    passes = frozenset({PassKind.TICK})

    async def process(self, ctx: Context, events: list[AlertEvent]) -> list[AlertEvent]:
        """Firing members are current already: ``RemuteStage`` ran on this tick."""
        await self.load(ctx, {tenant for tenant, n in ctx.notifications if n.resolved})
        kept_notes = []
        for tenant, n in ctx.notifications:
            kept = []
            for a in n.resolved:
                mute = self.mute(ctx, tenant, a.labels)
                if mute is None:
                    kept.append(a)
                else:
                    ctx.decide_for(tenant, a.fingerprint, mute.stage, mute.outcome, f"resolved: {mute.reason}",
                                   receiver=n.receiver, group_key=n.group_key)
            if n.firing or kept:
                kept_notes.append((tenant, n if len(kept) == len(n.resolved) else replace(n, resolved=tuple(kept))))
        ctx.notifications = kept_notes
        return events
