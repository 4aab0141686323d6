"""The evaluation context: the facts and metric values checks are evaluated against.

The domain does no I/O and never reads the clock: a service gathers the facts (a
snapshot of configuration) and either the metric values up front (a mapping keyed by
``MetricCheck.key``) or a resolver that queries the sample store per check, and passes
``now_ms``.

Fact keys are dotted paths. ``facts`` may be flat (``{"ingest.tls.enabled": true}``),
nested (``{"ingest": {"tls": {"enabled": true}}}``) or a mix; the lookup tries the
longest matching key at each level, so both spellings find the same fact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from domain.errors import ValidationError
from domain.identity.tenants import validate_tenant_id

if TYPE_CHECKING:
    from domain.compliance.checks import MetricCheck

__all__ = ["MISSING", "EvaluationContext", "MetricResolver", "resolve_fact"]


class _Missing:
    """The sentinel for "no such fact / no data" (None is a legitimate fact value)."""

    _instance: "_Missing | None" = None

    def __new__(cls) -> "_Missing":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()

MetricResolver = Callable[["MetricCheck"], "float | None"]


def resolve_fact(facts: Mapping[str, object], key: str) -> object:
    """The value at dotted ``key`` in ``facts``, or ``MISSING``."""
    return _walk(facts, key.split("."))


def _walk(node: object, parts: list[str]) -> object:
    if not parts:
        return node
    if not isinstance(node, Mapping):
        return MISSING
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        if head in node:
            found = _walk(node[head], parts[i:])
            if found is not MISSING:
                return found
    return MISSING


@dataclass(frozen=True, slots=True)
class EvaluationContext:
    facts: Mapping[str, object]
    metric_values: Mapping[str, float] | MetricResolver
    now_ms: int
    tenant: str

    def __post_init__(self) -> None:
        if not isinstance(self.facts, Mapping):
            raise ValidationError("facts must be a mapping", field="facts")
        if not isinstance(self.metric_values, Mapping) and not callable(self.metric_values):
            raise ValidationError("metric_values must be a mapping or a resolver", field="metric_values")
        if isinstance(self.now_ms, bool) or not isinstance(self.now_ms, int) or self.now_ms < 0:
            raise ValidationError("now_ms must be a non-negative integer of milliseconds", field="now_ms")
        validate_tenant_id(self.tenant)

    def fact(self, key: str) -> object:
        return resolve_fact(self.facts, key)

    def metric(self, check: "MetricCheck") -> object:
        """The value for ``check``: a number, or ``MISSING``; a resolver may also raise."""
        if isinstance(self.metric_values, Mapping):
            value = self.metric_values.get(check.key, MISSING)
        else:
            value = self.metric_values(check)
        return MISSING if value is None else value
