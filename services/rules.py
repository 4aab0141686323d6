"""Alert rules as tenant-scoped configuration resources (docs/adr/0017-configuration-resources.md).

Every kind the streaming evaluator runs (threshold, absence, anomaly) is managed here:
listed with filters, read with its version, created, replaced (PUT and PATCH), enabled
and disabled, deleted. A write names the version it read; the repository checks it and
writes in one compare-and-set, so of two admins editing the same rule one gets 409.
Each change writes an audit entry with the rule before and after in the unit of work
that makes it, and is announced (``config_changed``, kind ``rules``) after commit so the
evaluators of every process read the rules again at once (their own refresh interval
bounds the staleness if the announcement is lost).

PromQL rule groups (``/api/v1/rule-groups``, services/promrules/) are stored apart, in
Prometheus' rule file format, and are not these resources.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Any

from domain.alerts.rules import AbsenceRule, AnomalyRule, ThresholdRule
from domain.errors import Conflict, NotFound
from ports.cache import PubSub
from ports.clock import Clock
from ports.repositories import AlertRule, UnitOfWork, UnitOfWorkRunner
from services.config_changes import announce
from services.identity.audit import Actor
from services.rule_dry_run import DAY_MS, DryRunResult, RuleDryRun

CONFIG_KIND = "rules"  # the ConfigWatcher kind the evaluators reload on
KINDS = ("threshold", "absence", "anomaly")


def rule_kind(rule: AlertRule) -> str:
    if isinstance(rule, ThresholdRule):
        return "threshold"
    if isinstance(rule, AbsenceRule):
        return "absence"
    if isinstance(rule, AnomalyRule):
        return "anomaly"
    raise TypeError(f"not an alert rule: {type(rule).__name__}")


def rule_view(r: AlertRule) -> dict[str, Any]:
    """A rule as the API shows it and the audit log records it."""
    base: dict[str, Any] = {
        "id": r.id, "type": rule_kind(r), "name": r.name, "group": r.group, "enabled": r.enabled,
        "selector": str(r.selector), "for_ms": r.for_ms, "keep_firing_for_ms": r.keep_firing_for_ms,
        "labels": r.labels.as_dict(), "annotations": dict(r.annotations), "version": r.version,
        "updated_by": r.updated_by, "updated_at_ms": r.updated_at_ms,
    }
    if isinstance(r, ThresholdRule):
        base |= {"aggregation": r.aggregation.value, "window_ms": r.window_ms, "op": r.comparison.value,
                 "threshold": r.threshold, "q": r.q}
    elif isinstance(r, AbsenceRule):
        base |= {"absent_for_ms": r.absent_for_ms}
    elif isinstance(r, AnomalyRule):
        base |= {"detector": r.detector, "level": r.level}
    return base


@dataclass(frozen=True, slots=True)
class RuleFilter:
    """Which rules to list (every criterion given must hold). ``text`` is a
    case-insensitive substring of the name or of one ``label=value`` of the rule."""

    kind: str | None = None
    group: str | None = None
    enabled: bool | None = None
    text: str | None = None

    def matches(self, rule: AlertRule) -> bool:
        if self.kind is not None and rule_kind(rule) != self.kind:
            return False
        if self.group is not None and rule.group != self.group:
            return False
        if self.enabled is not None and rule.enabled != self.enabled:
            return False
        if self.text:
            needle = self.text.lower()
            haystack = [rule.name, *(f"{k}={v}" for k, v in rule.labels.as_dict().items())]
            return any(needle in h.lower() for h in haystack)
        return True


@dataclass(frozen=True, slots=True)
class GroupSummary:
    name: str
    rules: int
    enabled: int


def _stale(rule_id: str, stored: int, expected: int) -> Conflict:
    return Conflict(f"rule {rule_id!r} is at version {stored}, not {expected}: read it again and retry",
                    current_version=stored)


class RuleService:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, pubsub: PubSub | None = None,
                 dry_runs: RuleDryRun | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._pubsub = pubsub
        self._dry_runs = dry_runs

    async def dry_run(self, rule: AlertRule, range_ms: int = DAY_MS) -> DryRunResult:
        """Would ``rule`` (stored or not) have fired over the last ``range_ms``, and when?"""
        if self._dry_runs is None:
            raise NotFound("rule dry runs are not configured (no sample store)")
        return await self._dry_runs.run(rule, range_ms)

    async def list(self, tenant: str, where: RuleFilter = RuleFilter()) -> list[AlertRule]:
        return [r for r in await self._uow.run(lambda uow: uow.rules.list(tenant)) if where.matches(r)]

    async def get(self, tenant: str, rule_id: str) -> AlertRule:
        rule = await self._uow.run(lambda uow: uow.rules.get(tenant, rule_id))
        if rule is None:
            raise NotFound(f"no rule {rule_id!r}")
        return rule

    async def groups(self, tenant: str) -> list[GroupSummary]:
        rules = await self._uow.run(lambda uow: uow.rules.list(tenant))
        total = Counter(r.group for r in rules)
        enabled = Counter(r.group for r in rules if r.enabled)
        return [GroupSummary(name, total[name], enabled[name]) for name in sorted(total)]

    async def create(self, actor: Actor, rule: AlertRule) -> AlertRule:
        now = self._clock.now_ms()
        stored = dataclasses.replace(rule, version=1, updated_by=actor.subject, updated_at_ms=now)

        def work(uow: UnitOfWork) -> None:
            uow.rules.add(stored)
            uow.audit.add(actor.entry(rule.tenant, "rule.create", f"rule:{rule.id}", now, after=rule_view(stored)))

        await self._uow.run(work)
        await announce(self._pubsub, rule.tenant, CONFIG_KIND)
        return stored

    async def replace(self, actor: Actor, rule: AlertRule, expected_version: int) -> AlertRule:
        """Replace the rule of the same id with ``rule`` (any kind) if it is still at
        ``expected_version``."""
        return await self._write(actor, rule.tenant, rule.id, expected_version, "rule.update",
                                 lambda current: rule)

    async def set_enabled(self, actor: Actor, tenant: str, rule_id: str, enabled: bool,
                          expected_version: int) -> AlertRule:
        return await self._write(actor, tenant, rule_id, expected_version, "rule.enable" if enabled else "rule.disable",
                                 lambda current: dataclasses.replace(current, enabled=enabled))

    async def _write(self, actor: Actor, tenant: str, rule_id: str, expected_version: int, action: str,
                     change) -> AlertRule:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> AlertRule:
            current = uow.rules.get(tenant, rule_id)
            if current is None:
                raise NotFound(f"no rule {rule_id!r}")
            if current.version != expected_version:
                raise _stale(rule_id, current.version, expected_version)
            new = dataclasses.replace(change(current), id=rule_id, tenant=tenant, version=expected_version + 1,
                                      updated_by=actor.subject, updated_at_ms=now)
            uow.rules.replace(new, expected_version)  # the compare-and-set: a writer in between gets Conflict
            uow.audit.add(actor.entry(tenant, action, f"rule:{rule_id}", now, before=rule_view(current),
                                      after=rule_view(new)))
            return new

        stored = await self._uow.run(work)
        await announce(self._pubsub, tenant, CONFIG_KIND)
        return stored

    async def delete(self, actor: Actor, tenant: str, rule_id: str, expected_version: int) -> None:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> None:
            current = uow.rules.get(tenant, rule_id)
            if current is None:
                raise NotFound(f"no rule {rule_id!r}")
            if current.version != expected_version:
                raise _stale(rule_id, current.version, expected_version)
            if not uow.rules.remove(tenant, rule_id, expected_version):
                raise NotFound(f"no rule {rule_id!r}")
            uow.audit.add(actor.entry(tenant, "rule.delete", f"rule:{rule_id}", now, before=rule_view(current)))

        await self._uow.run(work)
        await announce(self._pubsub, tenant, CONFIG_KIND)
