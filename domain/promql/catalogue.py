"""The functions of PromQL as Prometheus 2.42 has them: argument and return types.

The parser knows newer functions too (PromQL 3); anything not listed here is refused
with ``bad_data``, as Prometheus 2.42 refuses an unknown function. ``holt_winters`` is
listed although PromQL 3 renamed it, so the parser adapter registers it.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.promql.types import ValueType

SCALAR, VECTOR, MATRIX, STRING = ValueType.SCALAR, ValueType.VECTOR, ValueType.MATRIX, ValueType.STRING


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    args: tuple[ValueType, ...]
    returns: ValueType
    variadic: int = 0  # 0: fixed; n > 0: the last n arguments optional; -1: any number more


def _spec(name: str, args: tuple[ValueType, ...], returns: ValueType, variadic: int = 0) -> FunctionSpec:
    return FunctionSpec(name, args, returns, variadic)


_MATH = [
    "abs", "ceil", "exp", "floor", "ln", "log2", "log10", "sqrt", "sgn", "deg", "rad",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
]
_OVER_TIME = [
    "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
    "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time", "absent_over_time",
    "changes", "resets", "deriv", "rate", "irate", "increase", "delta", "idelta",
]
_DATE = ["day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year"]

_SPECS: list[FunctionSpec] = [
    *(_spec(n, (VECTOR,), VECTOR) for n in _MATH),
    *(_spec(n, (MATRIX,), VECTOR) for n in _OVER_TIME),
    *(_spec(n, (VECTOR,), VECTOR, 1) for n in _DATE),
    _spec("absent", (VECTOR,), VECTOR),
    _spec("clamp", (VECTOR, SCALAR, SCALAR), VECTOR),
    _spec("clamp_max", (VECTOR, SCALAR), VECTOR),
    _spec("clamp_min", (VECTOR, SCALAR), VECTOR),
    _spec("histogram_count", (VECTOR,), VECTOR),
    _spec("histogram_sum", (VECTOR,), VECTOR),
    _spec("histogram_fraction", (SCALAR, SCALAR, VECTOR), VECTOR),
    _spec("histogram_quantile", (SCALAR, VECTOR), VECTOR),
    _spec("holt_winters", (MATRIX, SCALAR, SCALAR), VECTOR),
    _spec("label_join", (VECTOR, STRING, STRING, STRING), VECTOR, -1),
    _spec("label_replace", (VECTOR, STRING, STRING, STRING, STRING), VECTOR),
    _spec("pi", (), SCALAR),
    _spec("predict_linear", (MATRIX, SCALAR), VECTOR),
    _spec("quantile_over_time", (SCALAR, MATRIX), VECTOR),
    _spec("round", (VECTOR, SCALAR), VECTOR, 1),
    _spec("scalar", (VECTOR,), SCALAR),
    _spec("sort", (VECTOR,), VECTOR),
    _spec("sort_desc", (VECTOR,), VECTOR),
    _spec("time", (), SCALAR),
    _spec("timestamp", (VECTOR,), VECTOR),
    _spec("vector", (SCALAR,), VECTOR),
]

FUNCTIONS: dict[str, FunctionSpec] = {spec.name: spec for spec in _SPECS}

# Functions whose value depends on the evaluation time itself, so a subtree through them
# is never evaluated once for all steps (Prometheus' AtModifierUnsafeFunctions).
AT_UNSAFE_FUNCTIONS = frozenset(
    {"days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year",
     "predict_linear", "time", "timestamp"}
)

# Functions whose result keeps the input's metric name (every other one drops it).
KEEPS_METRIC_NAME = frozenset({"last_over_time", "sort", "sort_desc", "label_replace", "label_join"})

