"""Stage 5, routing: walk the routing tree (Alertmanager's depth-first, first match
unless ``continue``) to find the receiver(s), their grouping and timing. Muted alerts
are not routed; they go on so the group stage can take them out of their groups."""

from __future__ import annotations

from domain.alerts.history import Outcome, Stage
from domain.alerts.routing import Route
from services.pipeline.model import AlertEvent, Context


class RouteStage:
    def __init__(self, root: Route) -> None:
        self._root = root

    async def process(self, ctx: Context, events: list[AlertEvent]) -> list[AlertEvent]:
        for ev in events:
            if not ev.forwarded:
                continue
            ev.routes = self._root.match(ev.alert.labels)
            for r in ev.routes:
                t = r.timing
                ctx.decide(
                    ev.alert, Stage.ROUTE, Outcome.ROUTED,
                    f"route {'/'.join(r.path)} → {r.receiver} (group_by {list(r.group_by)}, group_wait {t.group_wait_ms} ms, "
                    f"group_interval {t.group_interval_ms} ms, repeat_interval {t.repeat_interval_ms} ms)",
                    receiver=r.receiver, group_key=r.group_key(ev.alert.labels),
                )
        return events
