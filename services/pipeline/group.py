"""Stage 6, grouping: alerts routed alike and sharing the route's ``group_by`` labels
form one group per (tenant, route, group labels), which notifies on its own timers
(``group_wait``, ``group_interval``, ``repeat_interval``: ``domain.alerts.grouping``).

``process`` puts routed alerts into their groups and takes muted ones out (without a
resolution: they just stop appearing); on a tick of the clock (about every second) it
then flushes the groups that are due, into ``ctx.notifications`` for the notify stage.

Groups live in memory. After a restart they are rebuilt from the stored firing alerts
(``AlertPipeline.restore``): membership and timers start afresh, so each group notifies
once more after its ``group_wait``; what the receivers were told before is not kept
(the delivery audit is, so nothing already queued is sent twice).

A group whose route is muted by a time interval (``mute_time_intervals``, or outside
its ``active_time_intervals``) is held when it is due: it flushes on the first tick
after the interval ends, with what is firing then.
"""

from __future__ import annotations

from domain.alerts.grouping import AlertGroup, GroupNotification
from domain.alerts.history import Outcome, Stage
from domain.alerts.routing import ResolvedRoute
from domain.alerts.state import AlertState
from services.pipeline.model import ALL_PASSES, AlertEvent, Context, LiveAlert, PassKind


class GroupStage:
    passes = ALL_PASSES

    def __init__(self) -> None:
        self._groups: dict[tuple[str, str], AlertGroup] = {}
        self._routes: dict[tuple[str, str], ResolvedRoute] = {}  # the route each group was made on
        self._held: set[tuple[str, str]] = set()  # groups held by a time interval (decided once)

    def __len__(self) -> int:
        return len(self._groups)

    def group(self, tenant: str, group_key: str) -> AlertGroup | None:
        return self._groups.get((tenant, group_key))

    def withdraw(self, ctx: Context, alert: LiveAlert) -> None:
        for key in alert.groups:
            group = self._groups.get((alert.tenant, key))
            if group is not None and group.withdraw(alert.fingerprint):
                ctx.decide(alert, Stage.GROUP, Outcome.GROUPED, f"taken out of group {key} while muted",
                           receiver=group.receiver, group_key=key)
        alert.groups = {}

    async def process(self, ctx: Context, events: list[AlertEvent]) -> list[AlertEvent]:
        for ev in events:
            a = ev.alert
            if not ev.forwarded:
                self.withdraw(ctx, a)
                continue
            for route in ev.routes:
                key = route.group_key(a.labels)
                group = self._groups.get((a.tenant, key))
                if group is None or group.done:
                    if ev.state is AlertState.RESOLVED:
                        continue  # no group holds it: nobody was told it fired
                    group = AlertGroup(key, route.receiver, route.timing, route.group_labels(a.labels))
                    self._groups[(a.tenant, key)] = group
                    self._routes[(a.tenant, key)] = route
                group.add(a.labels, a.fingerprint, ev.state, ctx.now_ms)
                if a.fingerprint not in group.alerts():
                    continue  # a resolution the receiver need not hear of (never told it fired)
                due = group.next_flush_ms()
                what = "restored after a restart" if ev.restored else ev.state.value
                ctx.decide(a, Stage.GROUP, Outcome.GROUPED, f"{what} in group {key} {route.group_labels(a.labels).as_dict()}; "
                           f"the group is next looked at {due - ctx.now_ms if due is not None else 0} ms from now",
                           receiver=route.receiver, group_key=key)
                if ev.state is AlertState.FIRING:
                    a.groups[key] = route
            if ev.state is AlertState.RESOLVED:
                a.groups = {}  # reported (at most) once at the next flush, then dropped by the group
        if ctx.kind is PassKind.TICK:
            ctx.notifications += self.flush(ctx)
        return events

    def flush(self, ctx: Context) -> list[tuple[str, GroupNotification]]:
        """Flush every group that is due; forget the ones that are done."""
        out: list[tuple[str, GroupNotification]] = []
        for (tenant, key), group in list(self._groups.items()):
            due = group.next_flush_ms()
            if due is not None and due <= ctx.now_ms:
                route = self._routes.get((tenant, key))
                held = route.muted_at(ctx.now_ms) if route is not None else None
                if held is not None:
                    if (tenant, key) not in self._held:
                        self._held.add((tenant, key))
                        for fp in group.alerts():
                            ctx.decide_for(tenant, fp, Stage.GROUP, Outcome.SKIPPED,
                                           f"notification held: {held}; it goes out when that ends",
                                           receiver=group.receiver, group_key=key)
                    continue
                self._held.discard((tenant, key))
                n = group.flush(ctx.now_ms)
                if n is not None:
                    out.append((tenant, n))
            if group.done:
                del self._groups[(tenant, key)]
                self._routes.pop((tenant, key), None)
                self._held.discard((tenant, key))
        return out
