"""One evaluation of one rule group at ``ts``: its rules in order, each an instant
query through the engine (reading what the group's earlier rules just recorded),
giving recorded series, alerts and their ``ALERTS`` series, and staleness markers
for the series a rule wrote last time and not this time (as Prometheus writes them,
so ``up:sum`` stops at once instead of lingering for the 5-minute lookback)."""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.alerts.alerting_rules import (
    AlertingRuleState, AlertLimitExceeded, AlertsOutput, LabelPairs, RuleEvaluationError,
)
from domain.alerts.recording_rules import recorded_series
from domain.alerts.rule_groups import AlertingRule, GroupStatus, RecordingRule, RuleGroup, RuleStatus
from domain.alerts.state import Alert, AlertTransition
from domain.alerts.templates import sample
from domain.errors import DomainError
from domain.metrics.labels import LabelSet
from domain.metrics.series import SeriesKey
from domain.promql.errors import PromQLError
from domain.templating import TemplateExecError
from services.promql.engine import PromQLEngine
from services.promql.result import QueryResult
from services.promql.values import STALE_NAN_BITS
from services.promrules.overlay import RecordedOverlay

log = logging.getLogger(__name__)
STALE_NAN: float = struct.unpack("<d", struct.pack("<Q", STALE_NAN_BITS))[0]
MAX_TEMPLATE_QUERIES = 100  # ``query`` calls in one rule's templates at one evaluation
Series = tuple[str, LabelPairs]  # (metric name, labels without __name__)


@dataclass
class GroupRuntime:
    """A group as the manager runs it: its alerting rules' alerts, the series each rule
    wrote at its last evaluation, when it is next due and how it last went."""

    group: RuleGroup
    rule_ids: list[str]
    alerting: dict[str, AlertingRuleState] = field(default_factory=dict)
    previous: dict[str, set[Series]] = field(default_factory=dict)
    next_ms: int | None = None
    status: GroupStatus = field(default_factory=GroupStatus)


@dataclass
class GroupOutput:
    """What an evaluation (or the end of removed rules) writes and tells: samples at
    ``at_ms`` (None: now), the alerts whose state moved and their transitions."""

    at_ms: int | None = None
    samples: list[tuple[str, LabelPairs, float]] = field(default_factory=list)
    transitions: list[tuple[AlertTransition, Alert]] = field(default_factory=list)
    changed: list[Alert] = field(default_factory=list)


def vector_of(result: QueryResult) -> list[tuple[dict[str, str], float]]:
    """A rule's query result as (labels, value) pairs; a scalar is one series without
    labels (as Prometheus' rule engine treats it)."""
    if result.result_type == "vector":
        assert result.values is not None
        return [(dict(labels), float(v)) for labels, v in zip(result.labels, result.values.tolist())]
    if result.result_type == "scalar":
        return [({}, float(result.scalar))]
    raise RuleEvaluationError("rule result is not a vector or scalar")


class GroupEvaluator:
    def __init__(self, engine: PromQLEngine, overlay: RecordedOverlay, *, external_labels: Mapping[str, str] | None = None,
                 external_url: str = "") -> None:
        self._engine = engine
        self._overlay = overlay
        self._external_labels = dict(external_labels or {})
        self._external_url = external_url

    async def evaluate(self, rt: GroupRuntime, ts: int, timeout_s: float) -> GroupOutput:
        group = rt.group
        out = GroupOutput(at_ms=ts)
        statuses: dict[str, RuleStatus] = {}
        began = time.perf_counter()
        for rule_id, rule in zip(rt.rule_ids, group.rules):
            t0 = time.perf_counter()
            written: set[Series] | None = None
            error = ""
            try:
                result = vector_of(await self._engine.instant(group.tenant, rule.expr, ts, timeout_s=timeout_s))
                if isinstance(rule, RecordingRule):
                    written = self._record(group.tenant, rule, result, ts, group.limit, out)
                else:
                    written = await self._alert(rt.alerting[rule_id], result, ts, group.limit, out)
            except AlertLimitExceeded as exc:
                self._take(exc.output, out)
                written, error = set(), str(exc)
            except RuleEvaluationError as exc:
                error = str(exc)
            except (PromQLError, DomainError) as exc:
                error = getattr(exc, "message", None) or str(exc)
            except Exception as exc:  # a bug must not stop the group's other rules
                log.exception("rule %r of group %r failed unexpectedly", rule.name, group.name)
                error = f"internal error: {type(exc).__name__}"
            if written is not None:
                for name, labels in rt.previous.get(rule_id, set()) - written:
                    out.samples.append((name, labels, STALE_NAN))
                rt.previous[rule_id] = written
            statuses[rule_id] = RuleStatus("err" if error else "ok", error, ts, time.perf_counter() - t0)
        rt.status = GroupStatus(ts, time.perf_counter() - began, statuses)
        return out

    def _record(self, tenant: str, rule: RecordingRule, result, ts: int, limit: int, out: GroupOutput) -> set[Series]:
        series = recorded_series(rule, result, limit=limit)
        for labels, value in series:
            out.samples.append((rule.name, labels, value))
            # Visible to the rules after this one at once (the store gets it via ingest).
            self._overlay.record(SeriesKey(tenant, rule.name, LabelSet(labels)), ts, value)
        return {(rule.name, labels) for labels, _ in series}

    async def _alert(self, state: AlertingRuleState, result, ts: int, limit: int, out: GroupOutput) -> set[Series]:
        rule: AlertingRule = state.rule
        kwargs = dict(limit=limit, external_labels=self._external_labels, external_url=self._external_url)
        uses_query = any("query" in text for _, text in (*rule.labels, *rule.annotations))
        if uses_query and result:
            # Templates calling ``query`` run in a worker thread, their queries on this loop.
            loop = asyncio.get_running_loop()
            query = self._template_query(state.tenant, ts, loop)
            alerts = await asyncio.to_thread(state.evaluate, result, ts, query=query, **kwargs)
        else:
            alerts = state.evaluate(result, ts, **kwargs)
        self._take(alerts, out)
        for name, labels, value in alerts.series:
            out.samples.append((name, labels, value))
        return {(name, labels) for name, labels, _ in alerts.series}

    @staticmethod
    def _take(alerts: AlertsOutput, out: GroupOutput) -> None:
        out.transitions += alerts.transitions
        out.changed += [a for a in alerts.changed if all(a is not b for b in out.changed)]

    def _template_query(self, tenant: str, ts: int, loop: asyncio.AbstractEventLoop):
        budget = [MAX_TEMPLATE_QUERIES]

        def query(text: str) -> list:
            budget[0] -= 1
            if budget[0] < 0:
                raise TemplateExecError(f"more than {MAX_TEMPLATE_QUERIES} template queries in one evaluation")
            future = asyncio.run_coroutine_threadsafe(self._engine.instant(tenant, text, ts), loop)
            try:
                return [sample(labels, value) for labels, value in vector_of(future.result())]
            except (PromQLError, DomainError, RuleEvaluationError) as exc:
                raise TemplateExecError(getattr(exc, "message", None) or str(exc)) from None

        return query
