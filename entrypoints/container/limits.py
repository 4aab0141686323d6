"""Limits and options the services take from the settings (DESIGN.md §7: every limit
is named in the problem a client gets when it hits it)."""

from __future__ import annotations

from adapters.http.ingest_formats.otlp_mapping import OtlpOptions
from domain.alerts.silences import SilenceLimits
from domain.metrics.batch import TimeWindow
from domain.metrics.labels import LabelLimits
from entrypoints.settings import Settings
from services.ingest import IngestLimits
from services.outbox import RelayPolicy
from services.promql import PromQLEngine, QueryLimits
from services.rule_dry_run import DryRunLimits
from services.streaming import StreamLimits


def ingest_limits(s: Settings) -> IngestLimits:
    return IngestLimits(
        max_samples_per_batch=s.max_samples_per_batch,
        max_series_per_batch=s.max_series_per_batch,
        labels=LabelLimits(s.max_labels_per_series, s.max_label_name_length, s.max_label_value_length),
        window=TimeWindow(s.max_sample_age_s * 1000, s.max_sample_future_s * 1000),
        max_consumer_lag=s.max_consumer_lag,
        rate_samples_per_s=s.ingest_rate_samples_per_s,
        rate_burst=s.ingest_rate_burst,
        known_series=s.known_series,
        max_active_series=s.max_active_series,
        active_series_window_ms=s.active_series_window_s * 1000,
    )


def otlp_options(s: Settings) -> OtlpOptions:
    return OtlpOptions(
        promote_resource_attributes=tuple(s.otlp_promote_resource_attributes),
        add_suffixes=s.otlp_add_metric_suffixes,
        exp_histogram_scale=s.otlp_exp_histogram_scale,
        max_labels=s.max_labels_per_series,
        max_label_value_length=s.max_label_value_length,
    )


def promql(s: Settings, store) -> PromQLEngine:
    limits = QueryLimits(
        max_series=s.promql_max_series, max_samples=s.promql_max_samples, max_points=s.promql_max_points,
        timeout_s=s.promql_timeout_s, max_concurrent_per_tenant=s.promql_max_concurrent_per_tenant,
    )
    return PromQLEngine(store, limits, lookback_ms=int(s.promql_lookback_s * 1000), workers=s.promql_workers)


def relay_policy(s: Settings) -> RelayPolicy:
    return RelayPolicy(poll_s=s.outbox_poll_s, backoff_s=s.task_backoff_s, backoff_max_s=s.task_backoff_max_s)


def silence_limits(s: Settings) -> SilenceLimits:
    return SilenceLimits(max_duration_ms=s.max_silence_duration_s * 1000, max_window_ms=s.max_maintenance_window_s * 1000,
                         max_span_ms=s.max_maintenance_span_s * 1000)


def stream_limits(s: Settings) -> StreamLimits:
    return StreamLimits(
        max_pending_series=s.stream_max_pending_series, max_pending_events=s.stream_max_pending_events,
        slow_grace_s=s.stream_slow_grace_s, max_selectors=s.stream_max_selectors,
    )


def rule_dry_run(s: Settings) -> DryRunLimits:
    return DryRunLimits(
        max_range_ms=s.rule_dry_run_max_range_s * 1000, max_series=s.rule_dry_run_max_series,
        max_samples=s.rule_dry_run_max_samples, max_seconds=s.rule_dry_run_max_seconds,
        max_window_samples=s.evaluator_max_window_samples,
    )
