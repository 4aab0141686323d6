"""Runbooks: an ordered list of remediation steps, each optionally behind a human
approval gate, each optionally undone by a compensation step (a saga).

The model is pure and validated on construction, so the remediation workflow can parse
a runbook inside its deterministic sandbox and refuse a bad one before anything runs.
``Runbook.plan()`` is what a dry run shows: every step, its gate, its retries and how
it would be undone, in the order it would happen.

Step kinds and their parameters (``params``):

- ``http``: ``method`` (GET/POST/PUT/PATCH/DELETE), ``url``, optional ``body``,
  ``headers``, ``expect_status`` (a list; default: any 2xx);
- ``task``: ``name`` of a task-queue task and its ``payload``;
- ``scale``: ``deployment``, ``namespace`` (default "default"), ``replicas``: an
  integer, or ``"previous"`` in a compensation (the count read before the step ran);
- ``restart``: ``deployment``, ``namespace`` (a rolling restart);
- ``wait``: ``duration_ms`` (a durable timer, no I/O);
- ``manual``: ``instructions`` for a human, who reports the step done (or failed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.errors import ValidationError
from domain.remediation.names import dns1123_label, dns1123_subdomain

STEP_KINDS = ("http", "task", "scale", "restart", "wait", "manual")
ON_TIMEOUT = ("abort", "escalate")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_STEPS = 50
MAX_RETRIES = 10


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string", field=name)
    return value


def _int(value: object, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(f"{name} must be an integer >= {minimum}", field=name)
    return value


@dataclass(frozen=True)
class ApprovalGate:
    """A human must approve before the step runs. ``roles`` may approve (empty: any
    responder role). On timeout the gate aborts the run, or (``escalate``) notifies
    ``escalate_to`` and waits ``timeout_ms`` once more before aborting."""

    timeout_ms: int
    roles: tuple[str, ...] = ("responder", "admin")
    on_timeout: str = "abort"
    escalate_to: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _int(self.timeout_ms, "timeout_ms", 1)
        object.__setattr__(self, "roles", tuple(self.roles))
        object.__setattr__(self, "escalate_to", tuple(self.escalate_to))
        object.__setattr__(self, "notify", tuple(self.notify))
        for i, r in enumerate(self.roles):
            _text(r, f"roles[{i}]")
        if self.on_timeout not in ON_TIMEOUT:
            raise ValidationError(f"on_timeout must be one of {ON_TIMEOUT}", field="on_timeout")
        if self.on_timeout == "escalate" and not self.escalate_to:
            raise ValidationError("an escalating gate needs escalate_to", field="escalate_to")

    def allows(self, role: str) -> bool:
        return not self.roles or role in self.roles


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    approval: ApprovalGate | None = None
    retries: int = 0
    retry_backoff_ms: int = 1000
    timeout_ms: int = 60_000
    compensation: "Step | None" = None
    description: str = ""

    def __post_init__(self) -> None:
        _text(self.id, "id")
        if self.kind not in STEP_KINDS:
            raise ValidationError(f"kind must be one of {STEP_KINDS}, not {self.kind!r}", field="kind")
        if not isinstance(self.params, Mapping):
            raise ValidationError("params must be an object", field="params")
        object.__setattr__(self, "params", dict(self.params))
        _int(self.retries, "retries")
        if self.retries > MAX_RETRIES:
            raise ValidationError(f"retries must be at most {MAX_RETRIES}", field="retries")
        _int(self.retry_backoff_ms, "retry_backoff_ms", 1)
        _int(self.timeout_ms, "timeout_ms", 1)
        if self.compensation is not None and self.compensation.compensation is not None:
            raise ValidationError("a compensation cannot have its own compensation", field="compensation")
        if self.compensation is not None and self.compensation.approval is not None:
            raise ValidationError("a compensation runs without approval", field="compensation.approval")
        try:
            _CHECKS[self.kind](self.params)
        except ValidationError as e:
            raise e.at("params") from None

    @property
    def workload(self) -> tuple[str, str]:
        """(namespace, deployment) of a scale or restart step."""
        return str(self.params.get("namespace", "default")), str(self.params["deployment"])

    @property
    def restores_previous(self) -> bool:
        """A scale compensation that puts back the replica count read before the step."""
        return self.kind == "scale" and self.params.get("replicas") == "previous"

    def describe(self) -> str:
        if self.description:
            return self.description
        p = self.params
        if self.kind == "http":
            return f"{p['method']} {p['url']}"
        if self.kind == "task":
            return f"queue task {p['name']}"
        if self.kind == "scale":
            ns, name = self.workload
            to = "its previous count" if self.restores_previous else f"{p['replicas']}"
            return f"scale deployment {ns}/{name} to {to} replicas"
        if self.kind == "restart":
            ns, name = self.workload
            return f"rolling restart of deployment {ns}/{name}"
        if self.kind == "wait":
            return f"wait {p['duration_ms'] // 1000}s"
        return f"manual: {p['instructions']}"

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Step":
        if not isinstance(d, Mapping):
            raise ValidationError("a step must be an object")
        gate = d.get("approval")
        comp = d.get("compensation")
        try:
            approval = None if gate is None else ApprovalGate(
                timeout_ms=gate.get("timeout_ms"), roles=tuple(gate.get("roles", ("responder", "admin"))),
                on_timeout=gate.get("on_timeout", "abort"), escalate_to=tuple(gate.get("escalate_to", ())),
                notify=tuple(gate.get("notify", ())))
        except ValidationError as e:
            raise e.at("approval") from None
        except AttributeError:
            raise ValidationError("approval must be an object", field="approval") from None
        try:
            compensation = None if comp is None else cls.from_dict({"id": f"{d.get('id')}.undo", **comp})
        except ValidationError as e:
            raise e.at("compensation") from None
        return cls(id=d.get("id"), kind=d.get("kind"), params=d.get("params", {}), approval=approval,
                   retries=d.get("retries", 0), retry_backoff_ms=d.get("retry_backoff_ms", 1000),
                   timeout_ms=d.get("timeout_ms", 60_000), compensation=compensation,
                   description=d.get("description", ""))


def _check_http(p: Mapping[str, Any]) -> None:
    if p.get("method") not in HTTP_METHODS:
        raise ValidationError(f"method must be one of {HTTP_METHODS}", field="method")
    url = _text(p.get("url"), "url")
    if not url.startswith(("http://", "https://")):
        raise ValidationError("url must be http:// or https://", field="url")
    expect = p.get("expect_status", [])
    if not isinstance(expect, list) or not all(isinstance(s, int) and 100 <= s < 600 for s in expect):
        raise ValidationError("expect_status must be a list of HTTP status codes", field="expect_status")


def _check_task(p: Mapping[str, Any]) -> None:
    _text(p.get("name"), "name")
    if not isinstance(p.get("payload", {}), Mapping):
        raise ValidationError("payload must be an object", field="payload")


def _check_workload(p: Mapping[str, Any]) -> None:
    # The names go into Kubernetes API paths: they must be what the API server accepts.
    dns1123_subdomain(p.get("deployment"), "deployment")
    dns1123_label(p.get("namespace", "default"), "namespace")


def _check_scale(p: Mapping[str, Any]) -> None:
    _check_workload(p)
    if p.get("replicas") != "previous":
        _int(p.get("replicas"), "replicas")


def _check_wait(p: Mapping[str, Any]) -> None:
    _int(p.get("duration_ms"), "duration_ms", 1)


def _check_manual(p: Mapping[str, Any]) -> None:
    _text(p.get("instructions"), "instructions")


_CHECKS = {"http": _check_http, "task": _check_task, "scale": _check_scale, "restart": _check_workload,
           "wait": _check_wait, "manual": _check_manual}


@dataclass(frozen=True)
class Runbook:
    id: str
    name: str
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        _text(self.id, "id")
        _text(self.name, "name")
        steps = tuple(self.steps)
        if not steps:
            raise ValidationError("a runbook needs at least one step", field="steps")
        if len(steps) > MAX_STEPS:
            raise ValidationError(f"a runbook has at most {MAX_STEPS} steps", field="steps")
        seen: set[str] = set()
        for i, s in enumerate(steps):
            if s.id in seen:
                raise ValidationError(f"duplicate step id {s.id!r}", field=f"steps[{i}].id")
            seen.add(s.id)
            if s.kind == "scale" and s.restores_previous:
                raise ValidationError("replicas 'previous' is for compensations only", field=f"steps[{i}].params.replicas")
        object.__setattr__(self, "steps", steps)

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise ValidationError(f"no step {step_id!r} in runbook {self.id!r}", field="step_id")

    def plan(self) -> list[dict[str, Any]]:
        """What a run would do, in order (the dry run's answer)."""
        out = []
        for n, s in enumerate(self.steps, 1):
            gate = s.approval
            out.append({
                "n": n, "step": s.id, "kind": s.kind, "action": s.describe(),
                "approval": None if gate is None else {
                    "roles": list(gate.roles), "timeout_ms": gate.timeout_ms, "on_timeout": gate.on_timeout,
                    "escalate_to": list(gate.escalate_to)},
                "attempts": s.retries + 1,
                "compensation": None if s.compensation is None else s.compensation.describe(),
            })
        return out

    @staticmethod
    def compensations(completed: list[Step]) -> list[Step]:
        """The compensations to run after a failure: those of the completed steps, in
        reverse order (the last thing done is undone first)."""
        return [s for s in reversed(completed) if s.compensation is not None]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Runbook":
        if not isinstance(d, Mapping):
            raise ValidationError("a runbook must be an object", field="runbook")
        raw = d.get("steps")
        if not isinstance(raw, list):
            raise ValidationError("steps must be a list", field="steps")
        steps = []
        for i, s in enumerate(raw):
            try:
                steps.append(Step.from_dict(s))
            except ValidationError as e:
                raise e.at(f"steps[{i}]") from None
        return cls(id=d.get("id"), name=d.get("name", d.get("id")), steps=tuple(steps))
