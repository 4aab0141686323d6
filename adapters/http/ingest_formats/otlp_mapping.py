"""OTLP metrics -> our series, following the OpenTelemetry "Prometheus and OpenMetrics
compatibility" specification as Prometheus' own OTLP receiver does (docs/ingest.md has
the full table for users).

Names: dots and other invalid characters become ``_`` (runs collapsed); with
``add_suffixes`` (the default, as in Prometheus) the unit is appended as a word
(``ms`` -> ``_milliseconds``, ``By`` -> ``_bytes``, ``1`` on a gauge -> ``_ratio``)
and monotonic cumulative sums end in ``_total``.

Labels: data-point attributes, sanitised (``http.method`` -> ``http_method``; names
that collide after sanitising get their values joined with ``;``). From the resource,
``service.namespace``/``service.name`` -> ``job``, ``service.instance.id`` ->
``instance``, the attributes in ``promote_resource_attributes`` -> labels; every other
resource attribute goes to one ``target_info`` series per resource (value 1), bounded
by the label limits, so the series themselves stay small. Scope name and version
become ``otel_scope_name``/``otel_scope_version``.

Delta temporality: we never keep state in the API (replicas are stateless, a restart
would lose it), so a delta point is stored as what it is: the increase over its
interval, as a *gauge* without ``_total``. ``sum_over_time``-style queries (fn=sum over
a window) give the increase over the window. Cumulative points stay counters.
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from adapters.http.ingest_formats.histograms import dense_buckets, exponential_to_explicit, explicit_to_cumulative
from adapters.http.ingest_formats.series import STALE_NAN, SeriesAccumulator, reject
from domain.errors import ValidationError
from domain.metrics.kinds import format_le
from services.ingest import RawSeries

DELTA, CUMULATIVE = 1, 2
NO_RECORDED_VALUE = 1
IDENTIFYING = ("service.name", "service.namespace", "service.instance.id")
DEFAULT_PROMOTED = (
    "deployment.environment", "deployment.environment.name", "k8s.cluster.name",
    "k8s.namespace.name", "cloud.region", "host.name",
)

UNITS = {
    "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds", "us": "microseconds",
    "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes", "GiBy": "gibibytes",
    "TiBy": "tebibytes", "KBy": "kilobytes", "MBy": "megabytes", "GBy": "gigabytes", "TBy": "terabytes",
    "m": "meters", "V": "volts", "A": "amperes", "J": "joules", "W": "watts", "g": "grams", "Cel": "celsius",
    "Hz": "hertz", "1": "", "%": "percent",
}
PER_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year"}
_NON_NAME = re.compile(r"[^a-zA-Z0-9:]+")
_NON_LABEL = re.compile(r"[^a-zA-Z0-9_]")
_ANNOTATION = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True, slots=True)
class OtlpOptions:
    promote_resource_attributes: tuple[str, ...] = DEFAULT_PROMOTED
    add_suffixes: bool = True
    scope_labels: bool = True
    target_info: bool = True
    exp_histogram_scale: int = 0
    max_labels: int = 30  # target_info keeps at most this many labels ...
    max_label_value_length: int = 1024  # ... and leaves out longer values


def label_name(key: str) -> str:
    name = _NON_LABEL.sub("_", key)
    if name[:1].isdigit():
        return "key_" + name
    if name.startswith("__"):
        return "key" + name  # names beginning with __ are reserved for the system
    return name


def _value_json(v: Any) -> Any:
    which = v.WhichOneof("value")
    if which == "array_value":
        return [_value_json(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _value_json(kv.value) for kv in v.kvlist_value.values}
    if which == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()
    if which == "double_value":
        d = v.double_value
        return d if math.isfinite(d) else format_le(d)
    return getattr(v, which) if which else None


def attribute_value(v: Any) -> str:
    which = v.WhichOneof("value")
    if which == "string_value":
        return v.string_value
    if which == "bool_value":
        return "true" if v.bool_value else "false"
    if which == "int_value":
        return str(v.int_value)
    if which == "double_value":
        return format_le(v.double_value)
    if which is None:
        return ""
    return json.dumps(_value_json(v), separators=(",", ":"), sort_keys=True)


def attributes_to_labels(kvs: Any) -> dict[str, str]:
    """Sanitised names; values of keys that collide after sanitising are joined with ``;``
    in key order (so the result does not depend on the order the client sent)."""
    out: dict[str, str] = {}
    for kv in sorted(kvs, key=lambda kv: kv.key):
        if not kv.key:
            continue
        name, value = label_name(kv.key), attribute_value(kv.value)
        out[name] = f"{out[name]};{value}" if name in out else value
    return out


def _unit_words(unit: str) -> tuple[str, str]:
    unit = _ANNOTATION.sub("", unit).strip()
    main, _, per = unit.partition("/")
    main_word = UNITS.get(main, main)
    per_word = PER_UNITS.get(per, per)
    clean = lambda w: "_".join(t for t in _NON_NAME.split(w) if t)  # noqa: E731
    return clean(main_word), clean(per_word)


def metric_name(name: str, unit: str, kind: str, options: OtlpOptions, where: str = "") -> str:
    """``kind``: gauge, counter (monotonic cumulative sum) or other (histograms, summaries,
    non-monotonic and delta sums)."""
    tokens = [t for t in _NON_NAME.split(name) if t]
    if not tokens:
        raise ValidationError(f"metric name {name!r} has no letters or digits", field=f"{where}.name")
    if options.add_suffixes:
        main, per = _unit_words(unit)
        if main and main not in tokens:
            tokens.append(main)
        if per and per not in tokens:
            tokens += ["per", per]
        if kind == "counter":
            tokens = [t for t in tokens if t != "total"] + ["total"]
        if kind == "gauge" and unit.strip() == "1":
            tokens = [t for t in tokens if t != "ratio"] + ["ratio"]
    out = "_".join(tokens)
    return "_" + out if out[0].isdigit() else out


def _ms(time_unix_nano: int) -> int:
    return time_unix_nano // 1_000_000


class _Mapper:
    def __init__(self, options: OtlpOptions) -> None:
        self.o = options
        self.acc = SeriesAccumulator()
        self.errors: list[ValidationError] = []

    def resource(self, r: int, rm: Any) -> None:
        attrs = {kv.key: attribute_value(kv.value) for kv in rm.resource.attributes}
        base: dict[str, str] = {}
        for key in self.o.promote_resource_attributes:
            if attrs.get(key):
                base[label_name(key)] = attrs[key]
        ident: dict[str, str] = {}
        if attrs.get("service.name"):
            ns = attrs.get("service.namespace")
            ident["job"] = f"{ns}/{attrs['service.name']}" if ns else attrs["service.name"]
        if attrs.get("service.instance.id"):
            ident["instance"] = attrs["service.instance.id"]
        latest = 0
        for s, sm in enumerate(rm.scope_metrics):
            scope = {}
            if self.o.scope_labels:
                scope = {"otel_scope_name": sm.scope.name, "otel_scope_version": sm.scope.version}
            for m, metric in enumerate(sm.metrics):
                where = f"resourceMetrics[{r}].scopeMetrics[{s}].metrics[{m}]"
                try:
                    latest = max(latest, self.metric(metric, base, ident, scope, where))
                except ValidationError as exc:
                    self.errors.append(exc if exc.field and exc.field.startswith("resourceMetrics") else exc.at(where))
        if self.o.target_info and latest:
            self.target_info(attrs, ident, latest, f"resourceMetrics[{r}].resource")

    def target_info(self, attrs: dict[str, str], ident: dict[str, str], at_ms: int, where: str) -> None:
        skip = set(IDENTIFYING) | set(self.o.promote_resource_attributes)
        extra = {label_name(k): v for k, v in sorted(attrs.items()) if k and k not in skip and v}
        extra = {k: v for k, v in extra.items() if len(v) <= self.o.max_label_value_length and k not in ident}
        if not extra:
            return
        room = max(0, self.o.max_labels - len(ident))
        labels = dict(list(extra.items())[:room]) | ident
        self.acc.add("target_info", labels, [[at_ms, 1.0]], "gauge", "", where)

    def labels(self, attrs: Any, base: dict, ident: dict, scope: dict) -> dict[str, str]:
        labels = attributes_to_labels(attrs)
        for k, v in base.items():
            labels.setdefault(k, v)
        labels.update(ident)
        labels.update({k: v for k, v in scope.items() if v})
        return labels

    def metric(self, metric: Any, base: dict, ident: dict, scope: dict, where: str) -> int:
        which = metric.WhichOneof("data")
        if which is None:
            return 0  # a metric without data is valid and carries nothing
        data = getattr(metric, which)
        latest = 0
        temporality = getattr(data, "aggregation_temporality", CUMULATIVE)
        if temporality not in (DELTA, CUMULATIVE):
            raise ValidationError("aggregation temporality must be DELTA (1) or CUMULATIVE (2)",
                                  field=f"{where}.{which}.aggregationTemporality")
        if which in ("gauge", "sum"):
            counter = which == "sum" and data.is_monotonic and temporality == CUMULATIVE
            name_kind = "counter" if counter else ("gauge" if which == "gauge" else "other")
            name = metric_name(metric.name, metric.unit, name_kind, self.o, where)
            kind = "counter" if counter else "gauge"
            for p, point in enumerate(data.data_points):
                at = f"{where}.{which}.dataPoints[{p}]"
                value_kind = point.WhichOneof("value")
                if value_kind is None and not point.flags & NO_RECORDED_VALUE:
                    raise ValidationError("data point has neither asDouble nor asInt", field=at)
                value = STALE_NAN if point.flags & NO_RECORDED_VALUE else float(getattr(point, value_kind))
                ts = _ms(point.time_unix_nano)
                latest = max(latest, ts)
                self.acc.add(name, self.labels(point.attributes, base, ident, scope), [[ts, value]], kind, metric.unit, where)
            return latest
        name = metric_name(metric.name, metric.unit, "other", self.o, where)
        hist_kind = "histogram" if temporality == CUMULATIVE else "gauge"
        for p, point in enumerate(data.data_points):
            at = f"{where}.{which}.dataPoints[{p}]"
            ts = _ms(point.time_unix_nano)
            latest = max(latest, ts)
            labels = self.labels(point.attributes, base, ident, scope)
            stale = bool(point.flags & NO_RECORDED_VALUE)
            if which == "summary":
                for q in point.quantile_values:
                    v = STALE_NAN if stale else q.value
                    self.acc.add(name, {**labels, "quantile": format_le(q.quantile)}, [[ts, v]], "gauge", metric.unit, where)
                parts = {"_sum": point.sum, "_count": float(point.count)}
                kind = "counter"
            else:
                pairs = self.buckets(which, point, at)
                for bound, cum in pairs:
                    v = STALE_NAN if stale else cum
                    self.acc.add(f"{name}_bucket", {**labels, "le": format_le(bound)}, [[ts, v]], hist_kind, metric.unit, where)
                parts = {"_count": float(point.count)}
                if point.HasField("sum"):
                    parts["_sum"] = point.sum
                kind = hist_kind
            for suffix, v in parts.items():
                self.acc.add(name + suffix, labels, [[ts, STALE_NAN if stale else v]], kind, metric.unit, where)
        return latest

    def buckets(self, which: str, point: Any, at: str) -> list[tuple[float, float]]:
        try:
            if which == "histogram":
                return explicit_to_cumulative(point.explicit_bounds, point.bucket_counts, float(point.count))
            pos = dense_buckets(point.positive.offset, point.positive.bucket_counts, at)
            neg = dense_buckets(point.negative.offset, point.negative.bucket_counts, at)
            return exponential_to_explicit(point.scale, float(point.zero_count), point.zero_threshold, pos, neg,
                                           float(point.count), target_scale=self.o.exp_histogram_scale, where=at)
        except ValidationError as exc:
            if exc.field and exc.field.startswith(at):
                raise
            raise exc.at(at) from None


def to_series(request: ExportMetricsServiceRequest, options: OtlpOptions) -> list[RawSeries]:
    """Every point of the request as series; every mapping problem named, or none stored."""
    mapper = _Mapper(options)
    for r, rm in enumerate(request.resource_metrics):
        mapper.resource(r, rm)
        if len(mapper.errors) >= 20:
            break
    reject(mapper.errors)
    return mapper.acc.series()
