"""Stage 2, silences and maintenance windows: an alert matched by an active silence
(or inside a recurring silence's recurrence, or an occurrence of a maintenance window,
in its time zone) is muted now, and what muted it is recorded. The clock loop asks again
every tick, so an alert still firing when its silence or window ends is notified then.
Both are read from the repositories on every pass: a change takes effect at the next."""

from __future__ import annotations

from collections.abc import Iterable

from domain.alerts.history import Stage
from domain.alerts.maintenance import MaintenanceWindow
from domain.alerts.silences import Silence
from domain.metrics.labels import LabelSet
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.pipeline.model import AlertEvent, Context, Mute, PassKind

_CACHE = "silences"
_WINDOWS = "maintenance_windows"


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

        def work(uow: UnitOfWork) -> dict[str, tuple[list[Silence], list[MaintenanceWindow]]]:
            return {t: (uow.silences.list(t), uow.maintenance_windows.list(t)) for t in wanted}

        windows: dict[str, list[MaintenanceWindow]] = ctx.cache.setdefault(_WINDOWS, {})
        for tenant, (silences, its_windows) in (await self._uow.run(work)).items():
            cached[tenant] = silences
            windows[tenant] = its_windows

    def mute(self, ctx: Context, tenant: str, labels: LabelSet) -> Mute | None:
        for s in ctx.cache.get(_CACHE, {}).get(tenant, ()):
            if s.mutes(labels, ctx.now_ms):
                return Mute(Stage.SILENCE, f"silence:{s.id}", _describe(s))
        for w in ctx.cache.get(_WINDOWS, {}).get(tenant, ()):
            if w.mutes(labels, ctx.now_ms):
                return Mute(Stage.SILENCE, f"maintenance_window:{w.id}",
                            f"maintenance window {w.name!r} ({w.id}) by {w.created_by}: {w.comment}")
        return None

    async def process(self, ctx: Context, events: list[AlertEvent]) -> list[AlertEvent]:
        await self.load(ctx, {ev.alert.tenant for ev in events})
        for ev in events:
            ev.mute = self.mute(ctx, ev.alert.tenant, ev.alert.labels)
            if ev.mute is not None:
                ctx.decide(ev.alert, Stage.SILENCE, ev.mute.outcome, f"{ev.state.value}: {ev.mute.reason}")
        return events
