"""Stage 3, inhibition: an alert the inhibit rules say is explained by another firing
alert (``ClusterDown`` explains ``InstanceDown`` of the same cluster) is muted, and the
rule and the source alert are recorded. Sources are every firing alert of the tenant,
silenced ones included (Alertmanager does the same: a silenced cause still explains)."""

from __future__ import annotations

from collections.abc import Iterable

from domain.alerts.fingerprint import fingerprint
from domain.alerts.history import Stage
from domain.alerts.inhibition import Inhibitor
from domain.metrics.labels import LabelSet
from services.pipeline.config import AlertingConfigs, config_of, load_configs
from services.pipeline.model import AlertEvent, AlertStore, Context, Mute, PassKind

_CACHE = "inhibit_sources"


class InhibitStage:
    passes = frozenset({PassKind.ARRIVAL, PassKind.RESTORE})  # the clock re-checks mutes in RemuteStage

    def __init__(self, store: AlertStore, configs: AlertingConfigs) -> None:
        self._store = store
        self._configs = configs

    async def load(self, ctx: Context, tenants: Iterable[str]) -> None:
        """Read the inhibit rules of ``tenants`` once per pass."""
        await load_configs(ctx.cache, self._configs, tenants)

    def _sources(self, ctx: Context, tenant: str, inhibitor: Inhibitor) -> list[LabelSet]:
        by_tenant: dict[str, list[LabelSet]] = ctx.cache.setdefault(_CACHE, {})
        if tenant not in by_tenant:
            rules = inhibitor.rules
            # Only alerts that can be a source of some rule: the check below is per target.
            by_tenant[tenant] = [a.labels for a in self._store.firing(tenant) if any(r.is_source(a.labels) for r in rules)]
        return by_tenant[tenant]

    def mute(self, ctx: Context, tenant: str, labels: LabelSet) -> Mute | None:
        """Needs ``load`` for ``tenant`` first (in this pass)."""
        inhibitor = config_of(ctx.cache, tenant).inhibitor
        if not inhibitor.rules:
            return None
        found = inhibitor.is_inhibited(labels, self._sources(ctx, tenant, inhibitor))
        if found is None:
            return None
        rule = found.rule
        src = found.source_labels
        reason = (
            f"inhibited by {src.get('alertname') or 'alert'} {{{', '.join(f'{k}={v!r}' for k, v in src.pairs)}}} "
            f"(inhibit rule #{found.rule_index}: source {', '.join(map(str, rule.source_matchers))}; "
            f"target {', '.join(map(str, rule.target_matchers))}; equal {list(rule.equal)})"
        )
        return Mute(Stage.INHIBIT, f"inhibit:{found.rule_index}:{fingerprint(src)}", reason)

    async def process(self, ctx: Context, events: list[AlertEvent]) -> list[AlertEvent]:
        await self.load(ctx, {ev.alert.tenant for ev in events})
        for ev in events:
            if ev.mute is None:
                ev.mute = self.mute(ctx, ev.alert.tenant, ev.alert.labels)
                if ev.mute is not None:
                    ctx.decide(ev.alert, Stage.INHIBIT, ev.mute.outcome, f"{ev.state.value}: {ev.mute.reason}")
            ev.alert.mute = ev.mute
        return events
