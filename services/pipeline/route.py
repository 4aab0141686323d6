"""Stage 5, routing: walk the routing tree (Alertmanager's depth-first, first match
unless ``continue``) to find the receiver(s), their grouping and timing. Muted alerts
are not routed; they go on so the group stage can take them out of their groups."""

from __future__ import annotations

from domain.alerts.history import Outcome, Stage
from services.pipeline.config import AlertingConfigs, config_of, load_configs
from services.pipeline.model import ALL_PASSES, AlertEvent, Context


class RouteStage:
    passes = ALL_PASSES

    def __init__(self, configs: AlertingConfigs) -> None:
        self._configs = configs

    async def process(self, ctx: Context, events: list[AlertEvent]) -> list[AlertEvent]:
        await load_configs(ctx.cache, self._configs, {ev.alert.tenant for ev in events if ev.forwarded})
        for ev in events:
            if not ev.forwarded:
                continue
            ev.routes = config_of(ctx.cache, ev.alert.tenant).route.match(ev.alert.labels)
            for r in ev.routes:
                t = r.timing
                ctx.decide(
                    ev.alert, Stage.ROUTE, Outcome.ROUTED,
                    f"route {'/'.join(r.path)} → {r.receiver} (group_by {list(r.group_by)}, group_wait {t.group_wait_ms} ms, "
                    f"group_interval {t.group_interval_ms} ms, repeat_interval {t.repeat_interval_ms} ms)",
                    receiver=r.receiver, group_key=r.group_key(ev.alert.labels),
                )
        return events
