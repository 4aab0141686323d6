"""Stage 1, dedup: the bus delivers at least once, so a transition already processed is
dropped; pending and inactive transitions do not notify and stop here. What passes is
taken into the alert store (labels, annotations, state). If a later stage fails, the
pipeline calls ``undo`` so the redelivered batch is processed again, not dropped."""

from __future__ import annotations

from domain.alerts.history import Outcome, Stage
from domain.alerts.state import AlertState
from services.pipeline.model import AlertEvent, AlertStore, Context, PassKind

_ACTING = (AlertState.FIRING, AlertState.RESOLVED)
_UNDO = "dedup.undo"


class DedupStage:
    passes = frozenset({PassKind.ARRIVAL})

    def __init__(self, store: AlertStore) -> None:
        self._store = store

    def undo(self, ctx: Context) -> None:
        """Forget the pass's marks: it failed, the bus will deliver it again, and the
        replay must not be taken for a duplicate."""
        for alert, previous in reversed(ctx.cache.pop(_UNDO, [])):
            alert.last = previous

    async def process(self, ctx: Context, events: list[AlertEvent]) -> list[AlertEvent]:
        out: list[AlertEvent] = []
        for ev in events:
            t = ev.transition
            if t is None:  # not from the bus (a tick or a restore): nothing to deduplicate
                out.append(ev)
                continue
            known = self._store.get(t.tenant, t.fingerprint)
            mark = (t.at_ms, t.to_state.value)
            if known is not None and known.last is not None and mark <= known.last:
                ctx.decide(known, Stage.DEDUP, Outcome.DUPLICATE,
                           f"transition to {t.to_state.value} at {t.at_ms} was processed already")
                continue
            if t.to_state not in _ACTING:
                ctx.decide(ev.alert, Stage.DEDUP, Outcome.IGNORED,
                           f"{t.to_state.value}: only firing and resolved alerts are notified")
                if known is not None:
                    known.last = mark
                continue
            alert = known or ev.alert
            if known is not None:
                known.labels, known.annotations, known.rule_id = ev.alert.labels, ev.alert.annotations, ev.alert.rule_id
            if t.to_state is AlertState.FIRING and (alert.state is not AlertState.FIRING or alert.starts_at_ms is None):
                alert.starts_at_ms = t.at_ms
            ctx.cache.setdefault(_UNDO, []).append((alert, alert.last))
            alert.state = t.to_state
            alert.last = mark
            alert.changed_at_ms = ctx.now_ms
            self._store.put(alert)
            ev.alert, ev.transition = alert, None
            out.append(ev)
        return out
