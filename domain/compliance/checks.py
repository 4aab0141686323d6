"""Checks: the machine-evaluable part of a control.

A check looks at *facts* (configuration the platform reports about itself, e.g.
``ingest.tls.enabled``) or at *metrics* (an aggregation of a series over a window, e.g.
the maximum backup age over the last hour) and answers with three-valued logic:

- ``passed=True`` / ``passed=False``: the evidence was there and it did / did not hold;
- ``passed=None`` with ``error``: the check could not be decided (a fact or metric is
  missing, has the wrong type, the resolver failed). Missing evidence is never a pass
  (that would hide a broken collector behind a green posture) and never a crash (one
  broken check must not stop the others from being evaluated).

Composites follow Kleene logic: ``AllOf`` fails if any child fails (a definite fail
outweighs an unknown), else errors if any child errors; ``AnyOf`` passes if any child
passes, else errors if any child errors. All children are evaluated so the evidence is
complete.

Equality is JSON equality: ``true`` is not ``1``, numbers compare by value (``1 == 1.0``),
lists and objects compare element-wise. ``matches`` is anchored (the whole string must
match), like label matchers in ``domain.metrics.matchers``, and on RE2 like them
(``domain.regex``): controls are written by admins through the API.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.compliance.context import MISSING, EvaluationContext
from domain.compliance.values import freeze_json, is_number, json_equal
from domain.errors import ValidationError
from domain.metrics.aggregations import Aggregation, coerce_aggregation
from domain.metrics.query import Selector
from domain.regex import UserRegex

MAX_FACT_KEY_LENGTH = 200
_FACT_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$")


class CheckOperator(str, enum.Enum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    IN = "in"
    NOT_IN = "not_in"
    EXISTS = "exists"
    MATCHES = "matches"
    CONTAINS = "contains"

    @classmethod
    def parse(cls, value: object, *, field: str = "operator") -> "CheckOperator":
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(o.value for o in cls)
            raise ValidationError(f"unknown operator {value!r}; use one of {allowed}", field=field) from None


COMPARISONS = frozenset(
    {CheckOperator.EQ, CheckOperator.NE, CheckOperator.GT, CheckOperator.GE, CheckOperator.LT, CheckOperator.LE}
)
_ORDERED = {
    CheckOperator.GT: lambda a, b: a > b,
    CheckOperator.GE: lambda a, b: a >= b,
    CheckOperator.LT: lambda a, b: a < b,
    CheckOperator.LE: lambda a, b: a <= b,
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """What was looked at, what was expected, and when: the auditor's record.

    ``kind`` is ``"fact"`` or ``"metric"``; ``passed``/``error`` say how this one
    comparison came out (a composite's evidence lists every leaf).
    """

    kind: str
    key: str
    observed: object
    expected: object
    at_ms: int
    operator: str | None = None
    passed: bool | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """``passed`` is True/False when decided, None (with ``error``) when undecidable."""

    passed: bool | None
    evidence: tuple[Evidence, ...] = ()
    error: str | None = None

    def __post_init__(self) -> None:
        if (self.passed is None) != (self.error is not None):
            raise ValidationError("a check result has an error exactly when it is undecided", field="error")


class _Undecidable(Exception):
    """Internal: the comparison cannot be made (wrong type, NaN). Becomes an ERROR."""


def _describe(value: object) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=lambda o: dict(o) if isinstance(o, Mapping) else repr(o))
    except (TypeError, ValueError):
        return repr(value)


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if is_number(value):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _compare_numbers(op: CheckOperator, observed: object, expected: float, what: str) -> bool:
    if not is_number(observed):
        raise _Undecidable(f"{what} is {_type_name(observed)}, not a number; cannot apply {op.value}")
    if math.isnan(observed):  # type: ignore[arg-type]
        raise _Undecidable(f"{what} is NaN (no value); cannot apply {op.value}")
    return _ORDERED[op](observed, expected)


@dataclass(frozen=True, slots=True)
class FactCheck:
    """Compare the fact at a dotted key with an expected JSON-like value.

    ``exists`` takes ``expected`` True (default) or False and is the one operator for
    which a missing fact is an answer rather than an error.
    """

    fact: str
    operator: CheckOperator
    expected: object = field(default=None, hash=False)
    _regex: UserRegex | None = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.fact, str) or len(self.fact) > MAX_FACT_KEY_LENGTH or not _FACT_KEY_RE.fullmatch(self.fact):
            raise ValidationError(
                f"invalid fact key {self.fact!r}: use dotted segments of letters, digits, '_' or '-'",
                field="fact",
            )
        op = CheckOperator.parse(self.operator)
        object.__setattr__(self, "operator", op)
        expected = self.expected
        if op is CheckOperator.EXISTS:
            expected = True if expected is None else expected
            if not isinstance(expected, bool):
                raise ValidationError("exists expects true or false", field="expected")
        else:
            expected = freeze_json(expected, field="expected")
        if op in _ORDERED and not is_number(expected):
            raise ValidationError(f"{op.value} needs a number to compare with", field="expected")
        if op in (CheckOperator.IN, CheckOperator.NOT_IN) and not isinstance(expected, tuple):
            raise ValidationError(f"{op.value} needs a list of values", field="expected")
        if op is CheckOperator.MATCHES:
            if not isinstance(expected, str):
                raise ValidationError("matches needs a regular expression string", field="expected")
            object.__setattr__(self, "_regex", UserRegex(expected, field="expected"))
        object.__setattr__(self, "expected", expected)

    def evaluate(self, ctx: EvaluationContext) -> CheckResult:
        observed = ctx.fact(self.fact)
        op = self.operator
        if op is CheckOperator.EXISTS:
            present = observed is not MISSING
            return self._result(ctx, observed if present else None, present == self.expected)
        if observed is MISSING:
            return self._result(ctx, None, None, f"fact {self.fact!r} is missing")
        try:
            passed = self._apply(observed)
        except _Undecidable as exc:
            return self._result(ctx, observed, None, str(exc))
        return self._result(ctx, observed, passed)

    def _apply(self, observed: object) -> bool:
        op, expected, what = self.operator, self.expected, f"fact {self.fact!r}"
        if op is CheckOperator.EQ:
            return json_equal(observed, expected)
        if op is CheckOperator.NE:
            return not json_equal(observed, expected)
        if op in _ORDERED:
            return _compare_numbers(op, observed, expected, what)  # type: ignore[arg-type]
        if op in (CheckOperator.IN, CheckOperator.NOT_IN):
            hit = any(json_equal(observed, e) for e in expected)  # type: ignore[union-attr]
            return hit if op is CheckOperator.IN else not hit
        if op is CheckOperator.MATCHES:
            if not isinstance(observed, str):
                raise _Undecidable(f"{what} is {_type_name(observed)}, not a string; cannot apply matches")
            assert self._regex is not None
            return self._regex.fullmatch(observed)
        # CONTAINS: element of a list, substring of a string, key of an object.
        if isinstance(observed, (list, tuple)):
            return any(json_equal(item, expected) for item in observed)
        if isinstance(observed, str) and isinstance(expected, str):
            return expected in observed
        if isinstance(observed, Mapping) and isinstance(expected, str):
            return expected in observed
        raise _Undecidable(f"{what} is {_type_name(observed)}; cannot check whether it contains {_describe(expected)}")

    def _result(self, ctx: EvaluationContext, observed: object, passed: bool | None, error: str | None = None) -> CheckResult:
        ev = Evidence("fact", self.fact, observed, self.expected, ctx.now_ms, self.operator.value, passed, error)
        return CheckResult(passed, (ev,), error)

    def __str__(self) -> str:
        return f"fact {self.fact} {self.operator.value} {_describe(self.expected)}"


def format_duration_ms(ms: int) -> str:
    """``3600000`` → ``1h``: the largest unit that divides exactly (Prometheus style)."""
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


@dataclass(frozen=True, slots=True)
class MetricCheck:
    """Aggregate a selector's samples over ``window_ms`` before ``now`` and compare.

    The value comes from the context (a mapping keyed by ``key``, or a resolver that
    queries the sample store). No data, NaN, or a failing resolver is an ERROR.

    With several matching series the resolver applies ``aggregation`` per series over
    the window (``aggregations.aggregate``), then combines the series with the same
    aggregation (``aggregations.combine``; RATE and INCREASE are summed). So
    ``max`` of backup age is the worst host, ``min`` of a sync flag is the worst host.
    """

    selector: Selector
    aggregation: Aggregation
    window_ms: int
    operator: CheckOperator
    threshold: float
    q: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.selector, str):
            object.__setattr__(self, "selector", Selector.parse(self.selector))
        if not isinstance(self.selector, Selector):
            raise ValidationError("selector must be a metric selector", field="selector")
        object.__setattr__(self, "aggregation", coerce_aggregation(self.aggregation, field="aggregation"))
        if isinstance(self.window_ms, bool) or not isinstance(self.window_ms, int) or self.window_ms <= 0:
            raise ValidationError("window_ms must be a positive integer of milliseconds", field="window_ms")
        op = CheckOperator.parse(self.operator)
        if op not in COMPARISONS:
            raise ValidationError(f"a metric check compares numbers; {op.value} is not a comparison", field="operator")
        object.__setattr__(self, "operator", op)
        if not is_number(self.threshold) or not math.isfinite(self.threshold):
            raise ValidationError("threshold must be a finite number", field="threshold")
        object.__setattr__(self, "threshold", float(self.threshold))
        if self.aggregation is Aggregation.QUANTILE:
            if not is_number(self.q) or not 0.0 <= self.q <= 1.0:  # type: ignore[operator]
                raise ValidationError("quantile needs q between 0 and 1", field="q")
            object.__setattr__(self, "q", float(self.q))  # type: ignore[arg-type]
        elif self.q is not None:
            raise ValidationError("q is only for the quantile aggregation", field="q")

    @property
    def key(self) -> str:
        """The canonical text of the query, e.g. ``max(backup_age_seconds[1h])``.

        Metric values passed as a mapping are looked up under this key.
        """
        rng = f"{self.selector}[{format_duration_ms(self.window_ms)}]"
        if self.q is not None:
            return f"{self.aggregation.value}({self.q:g}, {rng})"
        return f"{self.aggregation.value}({rng})"

    def evaluate(self, ctx: EvaluationContext) -> CheckResult:
        try:
            value = ctx.metric(self)
        except Exception as exc:  # noqa: BLE001 - a broken resolver is this check's ERROR, not the run's crash
            return self._result(ctx, None, None, f"resolving metric {self.key} failed: {type(exc).__name__}: {exc}")
        if value is MISSING or value is None:
            return self._result(ctx, None, None, f"no data for metric {self.key}")
        try:
            passed = self._apply(value)
        except _Undecidable as exc:
            return self._result(ctx, value, None, str(exc))
        return self._result(ctx, value, passed)

    def _apply(self, value: object) -> bool:
        what = f"metric {self.key}"
        if self.operator is CheckOperator.EQ or self.operator is CheckOperator.NE:
            if not is_number(value) or math.isnan(value):  # type: ignore[arg-type]
                raise _Undecidable(f"{what} is not a number (or NaN); cannot apply {self.operator.value}")
            return (value == self.threshold) == (self.operator is CheckOperator.EQ)
        return _compare_numbers(self.operator, value, self.threshold, what)

    def _result(self, ctx: EvaluationContext, observed: object, passed: bool | None, error: str | None = None) -> CheckResult:
        ev = Evidence("metric", self.key, observed, self.threshold, ctx.now_ms, self.operator.value, passed, error)
        return CheckResult(passed, (ev,), error)

    def __str__(self) -> str:
        return f"metric {self.key} {self.operator.value} {self.threshold:g}"


def _validate_children(checks: object, name: str) -> tuple["Check", ...]:
    if isinstance(checks, (str, bytes)) or not hasattr(checks, "__iter__"):
        raise ValidationError(f"{name} needs a list of checks", field="checks")
    children = tuple(checks)  # type: ignore[arg-type]
    if not children:
        raise ValidationError(f"{name} needs at least one check", field="checks")
    for i, child in enumerate(children):
        if not isinstance(child, CHECK_TYPES):
            raise ValidationError(f"{name} child {i} is not a check", field=f"checks[{i}]")
    return children


def _combine(results: list[CheckResult], *, decisive: bool) -> CheckResult:
    """Kleene logic: ``decisive`` is the value that settles it (False for AllOf, True for AnyOf)."""
    evidence = tuple(ev for r in results for ev in r.evidence)
    if any(r.passed is decisive for r in results):
        return CheckResult(decisive, evidence)
    errors = [r.error for r in results if r.passed is None]
    if errors:
        return CheckResult(None, evidence, "; ".join(e for e in errors if e))
    return CheckResult(not decisive, evidence)


@dataclass(frozen=True, slots=True)
class AllOf:
    """Passes when every child passes; one failing child fails it."""

    checks: tuple["Check", ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "checks", _validate_children(self.checks, "all_of"))

    def evaluate(self, ctx: EvaluationContext) -> CheckResult:
        return _combine([c.evaluate(ctx) for c in self.checks], decisive=False)

    def __str__(self) -> str:
        return "all_of(" + ", ".join(str(c) for c in self.checks) + ")"


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Passes when at least one child passes."""

    checks: tuple["Check", ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "checks", _validate_children(self.checks, "any_of"))

    def evaluate(self, ctx: EvaluationContext) -> CheckResult:
        return _combine([c.evaluate(ctx) for c in self.checks], decisive=True)

    def __str__(self) -> str:
        return "any_of(" + ", ".join(str(c) for c in self.checks) + ")"


Check = FactCheck | MetricCheck | AllOf | AnyOf
CHECK_TYPES = (FactCheck, MetricCheck, AllOf, AnyOf)


def leaves(check: Check) -> tuple[FactCheck | MetricCheck, ...]:
    """The fact and metric checks under ``check``, depth first."""
    if isinstance(check, (AllOf, AnyOf)):
        return tuple(leaf for child in check.checks for leaf in leaves(child))
    return (check,)


def required_facts(check: Check) -> frozenset[str]:
    """The fact keys a collector must supply to evaluate ``check``."""
    return frozenset(leaf.fact for leaf in leaves(check) if isinstance(leaf, FactCheck))


def required_metrics(check: Check) -> tuple[MetricCheck, ...]:
    """The metric queries ``check`` needs, each once, in order."""
    seen: dict[str, MetricCheck] = {}
    for leaf in leaves(check):
        if isinstance(leaf, MetricCheck):
            seen.setdefault(leaf.key, leaf)
    return tuple(seen.values())
