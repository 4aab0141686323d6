"""Stage 2, silences and maintenance windows: an alert matched by an active silence
(or inside a maintenance window's recurrence, in its time zone) is muted now, and the
silence that muted it is recorded. The clock loop asks again every tick, so an alert
still firing when its silence ends is notified then."""

from __future__ import annotations

from collections.abc import Iterable

from domain.alerts.history import Stage
from domain.alerts.silences import Silence
from domain.metrics.labels import LabelSet
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.pipeline.model import AlertEvent, Context, Mute, PassKind

_CACHE = "silences"


def _describe(s: Silence) -> str:
    what = "maintenance window" if s.recurrence is not None else "silence"
    when = ""
    if s.recurrence is not None:
        r = s.recurrence
        when = f" (weekdays {sorted(r.weekdays)} from {r.start_time} for {r.duration_ms // 60_000} min, {r.timezone})"
    return f"{what} {s.id} by {s.created_by}{when}: {s.comment}"


class SilenceStage:
    passes = frozenset({PassKind.ARRIVAL, PassKind.RESTORE})  # the clock re-checks mutes in RemuteStage

    def __init__(self, uow: UnitOfWorkRunner) -> None:
        self._uow = uow

    async def load(self, ctx: Context, tenants: Iterable[str]) -> None:
        """Read the silences of ``tenants`` once per pass."""
        cached: dict[str, list[Silence]] = ctx.cache.setdefault(_CACHE, {})
        wanted = sorted(set(tenants) - set(cached))
        if not wanted:
            return

        def work(uow: UnitOfWork) -> dict[str, list[Silence]]:
            return {t: uow.silences.list(t) for t in wanted}

        cached.update(await self._uow.run(work))

    def mute(self, ctx: Context, tenant: str, labels: LabelSet) -> Mute | None:
        for s in ctx.cache.get(_CACHE, {}).get(tenant, ()):
            if s.mutes(labels, ctx.now_ms):
                return Mute(Stage.SILENCE, f"silence:{s.id}", _describe(s))
        return None

    async def process(self, ctx: Context, events: list[AlertEvent]) -> list[AlertEvent]:
        await self.load(ctx, {ev.alert.tenant for ev in events})
        for ev in events:
            ev.mute = self.mute(ctx, ev.alert.tenant, ev.alert.labels)
            if ev.mute is not None:
                ctx.decide(ev.alert, Stage.SILENCE, ev.mute.outcome, f"{ev.state.value}: {ev.mute.reason}")
        return events
