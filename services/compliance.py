"""Compliance use cases: gather the evidence, evaluate the controls, keep the trail.

An evaluation run (``evaluate``; the Temporal schedule or the embedded timer calls it
every ``compliance_every_s``, ``POST /api/v1/compliance/evaluate`` on demand) does:

1. **Facts**, merged in three layers, later layers winning:

   - *configuration* facts from ``system_facts()`` (the composition root builds them
     from the settings);
   - facts this service *derives* from the repositories (table below);
   - facts *pushed* by integrators (``push_facts``, ``PUT /api/v1/compliance/facts``).
     A pushed key also hides every derived key below it (pushing ``ingest.tls`` as an
     object replaces a derived ``ingest.tls.enabled``), so a push always overrides.

   Derived here, per tenant, at the evaluation time ``at_ms``:

   ======================================  ==============================================
   ``identity.api_keys.without_expiry``    active (not revoked, not expired) API keys
                                           with no expiry date
   ``identity.api_keys.active``            active API keys
   ``alerts.rules.covered_signals``        signals (``SIGNAL_PATTERNS``: ``disk_usage``,
                                           ``cpu_usage``, ``memory_usage``) watched by a
                                           threshold or anomaly rule, judged by the metric
                                           name in its selector
   ``alerts.rules.count``                  alert rules of the tenant
   ``incidents.count_30d``                 incidents opened in the 30 days before
                                           ``at_ms`` (counted up to ``INCIDENT_COUNT_CAP``)
   ``identity.admin_mfa_required``         every active admin has a second factor: a
                                           confirmed TOTP, or an identity provider that
                                           reported MFA (``amr``) at their last sign-in
   ``identity.dormant_users_45d``          active users without a sign-in (or, never
                                           signed in, created) in the 45 days before
   ``identity.users.active``               active users
   ``audit.enabled``                       true: every change through the API or the
                                           command line is written to the audit log
   ======================================  ==============================================

   The configuration facts include ``audit.retention_days`` (entries are kept at least
   that long: ``observer-eye audit purge`` refuses to delete younger ones).

   Not derivable from the ports, so they must be pushed (until they are, the controls
   reading them are ERROR "fact ... is missing", never a silent PASS):
   ``ingest.tls.enabled`` / ``ingest.tls.min_version`` (the API serves plain HTTP;
   whether an ingress in front of it enforces TLS is outside its view),
   ``oncall.escalation_policies`` and ``oncall.uncovered_hours_next_7d`` (the on-call
   directory port cannot list policies).

2. **Metrics**: each ``MetricCheck`` is resolved from the sample store the way its
   docstring defines: the samples of every matching series in the window
   ``(at_ms - window, at_ms]`` (left-open, as range queries), the aggregation per series,
   then the series combined with the same aggregation (RATE and INCREASE summed; for
   LAST the newest sample wins). No series with samples is "no data" (ERROR). A store
   failure becomes that check's ERROR, not the run's.
   The catalogue's metrics arrive like any telemetry: ``node_timex_sync_status`` from
   node_exporter (scrape or remote write), ``oe_backup_last_success_age_seconds`` from
   the backup jobs, ``oe_incident_mtta_seconds`` from analytics (nothing publishes it
   yet: OE-IR-01 stays ERROR once a tenant has incidents, until something does).

3. **Evaluate and record** every control, store the evaluations (one per control and
   instant, so a retried run with the same ``at_ms`` replaces rather than duplicates)
   and answer a JSON-safe summary: counts by status, posture per framework, the
   missing facts and metrics without data (what an operator must fix).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from domain.alerts.rules import AnomalyRule, ThresholdRule
from domain.compliance.catalogue import default_controls
from domain.compliance.checks import CheckOperator, FactCheck, MetricCheck, leaves, required_facts
from domain.compliance.context import MISSING, EvaluationContext, resolve_fact
from domain.compliance.controls import Control, Framework
from domain.compliance.evaluation import ControlStatus, Evaluation, evaluate_controls
from domain.compliance.posture import PostureScore, posture
from domain.compliance.values import freeze_json
from domain.errors import LimitExceeded, NotFound, ValidationError
from domain.identity.permissions import Role
from domain.identity.tenants import validate_name, validate_tenant_id
from domain.identity.users import UserStatus
from domain.metrics.aggregations import COUNTER_AGGREGATIONS, aggregate, combine, fsum
from ports.clock import Clock
from ports.repositories import FactRecord, UnitOfWork, UnitOfWorkRunner
from ports.samples import SampleStore

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
DORMANT_AFTER_MS = 45 * DAY_MS  # OE-IAM-02's period
INCIDENT_COUNT_CAP = 1000
MAX_FACTS_PER_PUSH = 1000
MAX_FACTS_PER_TENANT = 5000
MAX_FACT_VALUE_BYTES = 16 * 1024  # JSON-encoded; facts are configuration, not documents
MAX_SOURCE_LENGTH = 100
MAX_SERIES_PER_METRIC = 10_000

# Signals an alert rule covers, recognised by the metric name its selector names
# (node_exporter, OpenTelemetry host metrics, cAdvisor, kubelet, our agent). Disk *usage*
# only: I/O counters (system_disk_io_bytes_total, container_fs_reads_total) do not warn
# before a disk fills up.
SIGNAL_PATTERNS: Mapping[str, re.Pattern[str]] = {
    "disk_usage": re.compile(
        r"filesystem|(^|_)fs_(usage|limit|avail|free|size)|disk_(used|free|usage|utilization|total|avail)"
        r"|volume_stats_(used|available|capacity)"
    ),
    "cpu_usage": re.compile(r"(^|_)cpu_(usage|utilization|seconds|time)|(^|_)load(1|5|15)\b|cpu_load"),
    "memory_usage": re.compile(r"(^|_)memory_|(^|_)mem_(used|usage|available|free)"),
}
_WATCHING_KINDS = (ThresholdRule, AnomalyRule)  # an absence rule says nothing about capacity

SystemFacts = Callable[[], Mapping[str, object]]


class ComplianceService:
    def __init__(
        self, uow: UnitOfWorkRunner, store: SampleStore, clock: Clock, controls: Sequence[Control] | None = None,
        system_facts: SystemFacts | None = None, *, max_series_per_metric: int = MAX_SERIES_PER_METRIC,
    ) -> None:
        self._uow = uow
        self._store = store
        self._clock = clock
        self._controls = tuple(default_controls() if controls is None else controls)
        ids = [c.id for c in self._controls]
        if len(set(ids)) != len(ids):
            raise ValidationError("controls contain the same id twice", field="controls")
        self._system_facts = system_facts or (lambda: {})
        self._max_series = max_series_per_metric

    # ------------------------------------------------------------------ reading

    def controls(self) -> tuple[Control, ...]:
        return self._controls

    def control(self, control_id: str) -> Control | None:
        return next((c for c in self._controls if c.id == control_id), None)

    async def catalogue(self, tenant: str) -> list[tuple[Control, Evaluation | None]]:
        """Every control with its latest evaluation (None: never evaluated)."""
        latest = {ev.control_id: ev for ev in await self._uow.run(lambda uow: uow.compliance.latest(tenant))}
        return [(c, latest.get(c.id)) for c in self._controls]

    async def posture(self, tenant: str) -> dict[Framework, PostureScore]:
        latest = await self._uow.run(lambda uow: uow.compliance.latest(tenant))
        return posture(self._controls, latest)

    async def history(self, tenant: str, control_id: str, limit: int = 100) -> list[Evaluation]:
        """Newest first. Evaluations of a control since retired from the catalogue stay
        readable (the audit trail outlives the catalogue)."""
        found = await self._uow.run(lambda uow: uow.compliance.history(tenant, control_id, limit))
        if not found and self.control(control_id) is None:
            raise NotFound(f"no compliance control {control_id!r}")
        return found

    async def facts(self, tenant: str) -> tuple[dict[str, object], dict[str, FactRecord]]:
        """(the facts derived by the system now, the facts pushed with who and when)."""
        now = self._clock.now_ms()
        configured = self._configured()
        derived, pushed = await self._uow.run(lambda uow: (derive_facts(uow, tenant, now), uow.compliance.facts(tenant)))
        return {**configured, **derived}, pushed

    # ------------------------------------------------------------------ writing

    async def push_facts(self, tenant: str, facts: Mapping[str, object], source: str, *, actor: str | None = None) -> list[str]:
        """Merge ``facts`` (dotted key -> JSON value) into the tenant's pushed facts.

        All or nothing: one bad key or value rejects the push, naming the field. The
        source says who reported them (``actor``, the authenticated caller, is added).
        Returns the keys stored.
        """
        validate_tenant_id(tenant)
        source = validate_name(source, field="source", max_length=MAX_SOURCE_LENGTH)
        if actor:
            source = f"{source} (by {actor})"
        clean = validate_facts(facts)
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> None:
            known = uow.compliance.facts(tenant).keys()
            total = len(known | clean.keys())
            if total > MAX_FACTS_PER_TENANT:
                raise LimitExceeded(
                    f"the tenant would hold {total} facts, over the limit of {MAX_FACTS_PER_TENANT}",
                    field="facts", limit="max_facts_per_tenant", value=MAX_FACTS_PER_TENANT,
                )
            uow.compliance.set_facts(tenant, clean, now, source)

        await self._uow.run(work)
        return sorted(clean)

    async def evaluate_now(self, tenant: str) -> dict[str, Any]:
        return await self.evaluate(tenant, self._clock.now_ms())

    async def run(self, tenant: str, every_s: float, stop: asyncio.Event) -> None:
        """Evaluate now and then every ``every_s`` until ``stop``: the embedded runtime's
        stand-in for the Temporal Schedule. A failed run is logged and the next one comes
        on time (the loop never dies of one bad run)."""
        while not stop.is_set():
            try:
                await self.evaluate_now(tenant)
            except Exception:  # noqa: BLE001 - see the docstring
                log.exception("compliance evaluation of %s failed; next try in %ss", tenant, every_s)
            try:
                await asyncio.wait_for(stop.wait(), every_s)
            except asyncio.TimeoutError:
                pass

    async def evaluate(self, tenant: str, at_ms: int) -> dict[str, Any]:
        """Evaluate every control of ``tenant`` at ``at_ms``, store the evaluations and
        return the summary (the Temporal schedule's ``compliance.evaluate`` activity)."""
        validate_tenant_id(tenant)
        if isinstance(at_ms, bool) or not isinstance(at_ms, int) or at_ms < 0:
            raise ValidationError("at_ms must be a non-negative integer of milliseconds", field="at_ms")
        configured = self._configured()
        derived, pushed = await self._uow.run(lambda uow: (derive_facts(uow, tenant, at_ms), uow.compliance.facts(tenant)))
        facts = merge_facts({**configured, **derived}, {k: r.value for k, r in pushed.items()})
        metrics = await self._resolve_metrics(tenant, at_ms)

        def resolver(check: MetricCheck) -> float | None:
            got = metrics.get(check.key)
            if isinstance(got, Exception):
                raise got
            return got

        evaluations = evaluate_controls(self._controls, EvaluationContext(facts, resolver, at_ms, tenant))

        def save(uow: UnitOfWork) -> list[Evaluation]:
            uow.compliance.save_evaluations(tenant, evaluations)
            return uow.compliance.latest(tenant)

        scores = posture(self._controls, await self._uow.run(save))
        summary = self._summary(tenant, at_ms, evaluations, scores, facts, metrics)
        log.info("compliance of %s at %d: %d pass, %d fail, %d error, %d not applicable", tenant, at_ms,
                 summary["passed"], summary["failed"], summary["errored"], summary["not_applicable"])
        return summary

    # ------------------------------------------------------------------ internals

    def _configured(self) -> dict[str, object]:
        """The configuration facts; a failing provider costs its facts (ERROR on the
        controls that need them), not the run."""
        try:
            return dict(self._system_facts())
        except Exception:  # noqa: BLE001 - see the docstring
            log.exception("the configuration facts could not be read; evaluating without them")
            return {}

    def _metric_checks(self) -> dict[str, MetricCheck]:
        out: dict[str, MetricCheck] = {}
        for control in self._controls:
            for check in (control.check, control.applies_when):
                for leaf in leaves(check) if check is not None else ():
                    if isinstance(leaf, MetricCheck):
                        out.setdefault(leaf.key, leaf)
        return out

    async def _resolve_metrics(self, tenant: str, at_ms: int) -> dict[str, float | None | Exception]:
        checks = self._metric_checks()

        async def one(check: MetricCheck) -> float | None | Exception:
            try:
                return await self._resolve(tenant, check, at_ms)
            except Exception as exc:  # noqa: BLE001 - the check reports it as its ERROR
                return exc

        values = await asyncio.gather(*(one(c) for c in checks.values()))
        return dict(zip(checks, values))

    async def _resolve(self, tenant: str, check: MetricCheck, at_ms: int) -> float | None:
        data = await self._store.select(tenant, check.selector, max(0, at_ms - check.window_ms + 1), at_ms)
        if len(data) > self._max_series:
            raise LimitExceeded(f"{len(data)} series match, over the limit of {self._max_series}",
                                field="selector", limit="max_series_per_metric", value=self._max_series)
        per_series = [(d.samples[-1].timestamp_ms, aggregate(check.aggregation, d.samples, q=check.q))
                      for d in data if d.samples]
        if not per_series:
            return None
        per_series.sort(key=lambda p: p[0])  # LAST across series: the newest sample's series
        values = [v for _, v in per_series]
        if check.aggregation in COUNTER_AGGREGATIONS:
            return fsum(values)
        return combine(check.aggregation, values, q=check.q)

    def _summary(self, tenant: str, at_ms: int, evaluations: Sequence[Evaluation], scores: Mapping[Framework, PostureScore],
                 facts: Mapping[str, object], metrics: Mapping[str, object]) -> dict[str, Any]:
        count = {s: sum(1 for e in evaluations if e.status is s) for s in ControlStatus}
        needed = sorted({k for c in self._controls for ch in (c.check, c.applies_when) if ch for k in required_facts(ch)})
        return {
            "tenant": tenant,
            "at_ms": at_ms,
            "evaluated": len(evaluations),
            "passed": count[ControlStatus.PASS],
            "failed": count[ControlStatus.FAIL],
            "errored": count[ControlStatus.ERROR],
            "not_applicable": count[ControlStatus.NOT_APPLICABLE],
            "errors": {e.control_id: e.error for e in evaluations if e.error},
            "missing_facts": [k for k in needed if resolve_fact(facts, k) is MISSING],
            "metrics_without_data": sorted(k for k, v in metrics.items() if v is None or isinstance(v, Exception)),
            "posture": {fw.value: posture_out(p) for fw, p in scores.items()},
        }


def posture_out(p: PostureScore) -> dict[str, Any]:
    """A posture score as plain JSON (the summary, the API)."""
    return {
        "framework": p.framework.value, "title": p.framework.title,
        "score": None if p.score is None else round(p.score, 2), "passed": p.passed, "failed": p.failed,
        "errored": p.errored, "not_applicable": p.not_applicable, "unevaluated": p.unevaluated, "total": p.total,
    }


def derive_facts(uow: UnitOfWork, tenant: str, at_ms: int) -> dict[str, object]:
    """The facts the repositories prove (see the module docstring), flat dotted keys."""
    keys = [k for k in uow.api_keys.list(tenant) if k.is_active(at_ms)]
    rules = uow.rules.list(tenant)
    covered = sorted({signal for r in rules if isinstance(r, _WATCHING_KINDS) for signal in rule_signals(r)})
    recent = uow.incidents.list(tenant, limit=INCIDENT_COUNT_CAP)
    users = uow.users.list(tenant, [UserStatus.ACTIVE])
    return {
        "identity.api_keys.active": len(keys),
        "identity.api_keys.without_expiry": sum(1 for k in keys if k.expires_at_ms is None),
        "identity.admin_mfa_required": all(u.mfa_enabled or u.last_sign_in_mfa for u in users if u.role is Role.ADMIN),
        "identity.dormant_users_45d": sum(1 for u in users if u.dormant(at_ms, DORMANT_AFTER_MS)),
        "identity.users.active": len(users),
        "audit.enabled": True,
        "alerts.rules.count": len(rules),
        "alerts.rules.covered_signals": covered,
        "incidents.count_30d": sum(1 for i in recent if at_ms - 30 * DAY_MS < i.opened_at_ms <= at_ms),
    }


def rule_signals(rule: ThresholdRule | AnomalyRule) -> set[str]:
    """The signals a rule's selector names: its metric, else its ``__name__`` matchers."""
    names = [rule.selector.metric] if rule.selector.metric else [
        m.value for m in rule.selector.matchers if m.name == "__name__"
    ]
    return {signal for signal, pattern in SIGNAL_PATTERNS.items() for n in names if pattern.search(n)}


def merge_facts(system: Mapping[str, object], pushed: Mapping[str, object]) -> dict[str, object]:
    """Pushed facts over system facts. A pushed key hides system keys below it: the
    lookup prefers the longest key, so ``ingest.tls.enabled`` (system) would otherwise
    win over a pushed ``ingest.tls`` object."""
    kept = {k: v for k, v in system.items() if not any(k.startswith(p + ".") for p in pushed)}
    return {**kept, **pushed}


def _field(key: object) -> str:
    text = json.dumps(key if isinstance(key, str) else repr(key))
    return f"facts[{text if len(text) <= 80 else text[:77] + '...'}]"


def validate_facts(facts: object) -> dict[str, object]:
    """Check a push: an object of at most ``MAX_FACTS_PER_PUSH`` dotted keys (valid
    exactly when a check could name them) to JSON values (finite numbers, nested at
    most 16 deep, at most ``MAX_FACT_VALUE_BYTES`` encoded). Returns frozen copies."""
    if not isinstance(facts, Mapping):
        raise ValidationError("facts must be an object of dotted keys to values", field="facts")
    if not facts:
        raise ValidationError("no facts given", field="facts")
    if len(facts) > MAX_FACTS_PER_PUSH:
        raise LimitExceeded(f"{len(facts)} facts in one push, over the limit of {MAX_FACTS_PER_PUSH}",
                            field="facts", limit="max_facts_per_push", value=MAX_FACTS_PER_PUSH)
    out: dict[str, object] = {}
    for key, value in facts.items():
        where = _field(key)
        try:
            FactCheck(key, CheckOperator.EXISTS)  # type: ignore[arg-type]  # the key rules of the checks
        except ValidationError as exc:
            raise ValidationError(exc.message, field=where) from None
        frozen = freeze_json(value, field=where)
        size = len(json.dumps(frozen, separators=(",", ":"), allow_nan=False))
        if size > MAX_FACT_VALUE_BYTES:
            raise LimitExceeded(f"value is {size} bytes as JSON, over the limit of {MAX_FACT_VALUE_BYTES}",
                                field=where, limit="max_fact_value_bytes", value=MAX_FACT_VALUE_BYTES)
        out[key] = frozen
    return out

