"""What a tenant's runbooks may touch: Kubernetes namespaces and task-queue tasks.

Runbooks are admin-written, but an admin of one tenant must not reach another tenant's
workloads, and a ``task`` step names a task of the shared task queue (a crafted
``notify.deliver`` payload would send anything anywhere). So the namespaces each
tenant's runbooks may scale or restart, and the tasks any runbook may queue, are
operator configuration (``OBSERVER_REMEDIATION_NAMESPACES``,
``OBSERVER_REMEDIATION_TASKS``); nothing is allowed by default.

The policy is checked where a runbook is written (422 naming the step's field), where a
run is asked for (403: the configuration may have changed since), and by the activity
that acts (the step fails for good).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.errors import PermissionDenied, ValidationError
from domain.remediation.runbook import Runbook, Step

WORKLOAD_KINDS = ("scale", "restart")


@dataclass(frozen=True)
class RemediationPolicy:
    namespaces: Mapping[str, frozenset[str]] = field(default_factory=dict)  # tenant -> namespaces
    tasks: frozenset[str] = frozenset()

    @classmethod
    def of(cls, namespaces: Mapping[str, Iterable[str]], tasks: Iterable[str]) -> "RemediationPolicy":
        return cls({t: frozenset(ns) for t, ns in namespaces.items()}, frozenset(tasks))

    def refusal(self, tenant: str, kind: str, params: Mapping[str, Any]) -> tuple[str, str] | None:
        """(field, reason) when a step of ``kind`` with ``params`` is not allowed for ``tenant``."""
        if kind in WORKLOAD_KINDS:
            namespace = str(params.get("namespace", "default"))
            allowed = self.namespaces.get(tenant, frozenset())
            if namespace not in allowed:
                shown = ", ".join(sorted(allowed)) or "none"
                return "namespace", (f"tenant {tenant!r} may not act on namespace {namespace!r} (allowed: {shown}; "
                                     "OBSERVER_REMEDIATION_NAMESPACES)")
        if kind == "task" and str(params.get("name")) not in self.tasks:
            shown = ", ".join(sorted(self.tasks)) or "none"
            return "name", (f"task {params.get('name')!r} is not on the allow list (allowed: {shown}; "
                            "OBSERVER_REMEDIATION_TASKS)")
        return None

    def _refusals(self, tenant: str, runbook: Runbook) -> Iterable[tuple[str, str]]:
        for i, step in enumerate(runbook.steps):
            parts: list[tuple[str, Step]] = [(f"steps[{i}]", step)]
            if step.compensation is not None:
                parts.append((f"steps[{i}].compensation", step.compensation))
            for where, s in parts:
                found = self.refusal(tenant, s.kind, s.params)
                if found is not None:
                    yield f"{where}.params.{found[0]}", found[1]

    def check_written(self, tenant: str, runbook: Runbook) -> None:
        """For a runbook being written: ``ValidationError`` naming the first refused field."""
        for where, reason in self._refusals(tenant, runbook):
            raise ValidationError(reason, field=where)

    def check_run(self, tenant: str, runbook: Runbook) -> None:
        """For a run being asked for: ``PermissionDenied`` (the runbook was valid when written)."""
        for where, reason in self._refusals(tenant, runbook):
            raise PermissionDenied(f"runbook {runbook.id!r} {where}: {reason}")
