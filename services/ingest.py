"""Ingest use case: validate a batch whole, then publish it to the telemetry topic by shard.

The HTTP adapter has already checked the *shape* of the request; here the domain rules
apply (names, labels, limits, timestamp window). Every problem in the batch is
collected, so the client learns all of them at once, and nothing is published unless
everything is valid: a batch is accepted whole or rejected whole.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.errors import BatchRejected, DomainError, LimitExceeded, ValidationError
from domain.metrics.batch import SampleBatch, SeriesSamples, TimeWindow, parse_sample_value
from domain.metrics.kinds import MetricKind
from domain.metrics.labels import DEFAULT_LIMITS, LabelLimits
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.active_series import ActiveSeries
from ports.bus import TELEMETRY_TOPIC, MessageBus
from ports.cache import RateLimiter
from ports.clock import Clock
from ports.columnar import ColumnarBatch
from services.shard_publisher import ShardPublisher

MAX_ERRORS_REPORTED = 20
_KINDS = {k.value: k for k in MetricKind}


class Backpressure(DomainError):
    """The pipeline is behind or the tenant is over its rate: retry later (HTTP 429)."""

    def __init__(self, message: str, retry_after_s: float, limit: str) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.limit = limit


@dataclass(frozen=True, slots=True)
class IngestLimits:
    max_samples_per_batch: int = 100_000
    max_series_per_batch: int = 10_000
    labels: LabelLimits = DEFAULT_LIMITS
    window: TimeWindow = field(default_factory=TimeWindow)
    max_consumer_lag: int = 10_000  # bus messages not yet written
    rate_samples_per_s: float = 1_000_000.0
    rate_burst: int = 2_000_000
    known_series: int = 50_000  # validated series remembered (see ``KnownSeries``)
    max_active_series: int = 0  # per tenant; 0: no limit (``ports/active_series.py``)
    active_series_window_ms: int = 3_600_000


class KnownSeries:
    """Series keys that passed validation, by what is validated: (tenant, name, the
    label items as sent with the static labels applied over them).

    Why: a scraper sends the same series every interval, and validating a label set
    (names, reserved prefixes, lengths, duplicates, sorting) and hashing its id cost
    more than the rest of the request. Only valid series are remembered, so every
    invalid one is still reported in full; the limits are the service's and do not
    change while it runs. Bounded: when ``capacity`` is reached the memory starts over
    (cheaper than an LRU's bookkeeping on every hit; a working set larger than the
    capacity only loses the speed-up, never correctness).
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._keys: dict[tuple[Any, ...], SeriesKey] = {}

    @staticmethod
    def signature(tenant: str, raw: RawSeries, static: tuple[tuple[str, str], ...]) -> tuple[Any, ...] | None:
        """What validation sees, as a key; ``None`` when it cannot be one.

        The static labels (from the route or the credential) are applied first, as
        ``validate`` applies them: they may replace a value the client sent as a list,
        and the series is then valid. A signature of the labels *as sent* was
        unhashable for such a valid series, and remembering it raised ``TypeError``.
        A value that stays unhashable after the merge belongs to an invalid series,
        which validation reports and which is never remembered.
        """
        labels = raw.labels
        if static:
            labels = {**labels, **dict(static)} if isinstance(labels, dict) else labels
        signature = (tenant, raw.name, tuple(labels.items()) if isinstance(labels, dict) else labels)
        try:
            hash(signature)
        except TypeError:
            return None
        return signature

    def get(self, signature: tuple[Any, ...] | None) -> SeriesKey | None:
        return None if signature is None else self._keys.get(signature)

    def remember(self, signature: tuple[Any, ...] | None, key: SeriesKey) -> None:
        """Remember a signature whose series validated."""
        if self._capacity <= 0 or signature is None:
            return
        if len(self._keys) >= self._capacity:
            self._keys.clear()
        self._keys[signature] = key


@dataclass(frozen=True, slots=True)
class RawSeries:
    """One series as a client sent it, before domain validation."""

    name: str
    labels: dict[str, str]
    samples: Sequence[Sequence[Any]]  # [timestamp_ms, value] pairs
    kind: str = "gauge"
    unit: str = ""
    origin: str = ""  # where it came from in the request (e.g. ``timeseries[3]``), for error fields


@dataclass(frozen=True, slots=True)
class IngestResult:
    series: int
    samples: int


class IngestService:
    def __init__(self, bus: MessageBus, clock: Clock, rate_limiter: RateLimiter, limits: IngestLimits,
                 active: ActiveSeries | None = None) -> None:
        self._bus = bus
        self._clock = clock
        self._rate = rate_limiter
        self.limits = limits
        self._known = KnownSeries(limits.known_series)
        self._active = active
        # Series this process recorded as active lately, per tenant: they are not sent
        # to the shared count again until the set starts over (a quarter of the window,
        # so what it holds is always still active there). Bounded by the limit.
        self._recorded: dict[str, set[int]] = {}
        self._recorded_since = clock.now_ms()
        self._shards = ShardPublisher(bus, TELEMETRY_TOPIC)

    def accepted_window(self) -> tuple[int, int]:
        """The timestamps accepted now, ``[lo, hi]`` ms (what ``validate`` checks)."""
        now, window = self._clock.now_ms(), self.limits.window
        return now - window.max_age_ms, now + window.max_future_ms

    def check_size(self, samples: int, series: int) -> None:
        """The per-request limits, on counts alone: a route that can count before it
        parses every point calls this first (the same errors ``validate`` raises)."""
        limits = self.limits
        if samples > limits.max_samples_per_batch:
            raise LimitExceeded(
                f"batch has {samples} samples, over the limit of {limits.max_samples_per_batch} per request",
                field="series", limit="max_samples_per_batch", value=limits.max_samples_per_batch,
            )
        if series > limits.max_series_per_batch:
            raise LimitExceeded(
                f"batch has {series} series, over the limit of {limits.max_series_per_batch} per request",
                field="series", limit="max_series_per_batch", value=limits.max_series_per_batch,
            )

    def validate(self, tenant: str, raw: Sequence[RawSeries], static_labels: dict[str, str] | None = None) -> SampleBatch:
        limits = self.limits
        total = sum(len(s.samples) for s in raw)
        if total > limits.max_samples_per_batch:
            raise LimitExceeded(
                f"batch has {total} samples, over the limit of {limits.max_samples_per_batch} per request",
                field="series", limit="max_samples_per_batch", value=limits.max_samples_per_batch,
            )
        if len(raw) > limits.max_series_per_batch:
            raise LimitExceeded(
                f"batch has {len(raw)} series, over the limit of {limits.max_series_per_batch} per request",
                field="series", limit="max_series_per_batch", value=limits.max_series_per_batch,
            )
        now = self._clock.now_ms()
        errors: list[ValidationError] = []
        out: list[SeriesSamples] = []
        known = self._known
        static = tuple(static_labels.items()) if static_labels else ()
        for i, s in enumerate(raw):
            where = s.origin or f"series[{i}]"
            try:
                signature = known.signature(tenant, s, static)
                key = known.get(signature)
                if key is None:
                    labels = dict(s.labels)
                    if static_labels:
                        labels.update(static_labels)
                    key = SeriesKey.of(tenant, s.name, labels, limits.labels)
                    known.remember(signature, key)
                kind = _KINDS.get(s.kind) if isinstance(s.kind, str) else None
                if kind is None:
                    raise ValidationError(f"unknown metric kind {s.kind!r}; use gauge, counter or histogram", field="kind")
                samples = self._samples(s.samples, now, errors, where)
                out.append(SeriesSamples(key, samples, kind, s.unit))
            except ValidationError as exc:
                errors.append(exc.at(where))
            if len(errors) >= MAX_ERRORS_REPORTED:
                break
        if errors:
            errors = _distinct(errors)
            limit_errors = [e for e in errors if isinstance(e, LimitExceeded)]
            if limit_errors and len(limit_errors) == len(errors) and len(errors) == 1:
                raise limit_errors[0]
            raise BatchRejected(errors)
        return SampleBatch(tenant, tuple(out))

    def _samples(self, raw: Sequence[Sequence[Any]], now: int, errors: list[ValidationError], where: str) -> tuple[Sample, ...]:
        window = self.limits.window
        lo, hi = now - window.max_age_ms, now + window.max_future_ms
        out: list[Sample] = []
        for j, pair in enumerate(raw):
            # Fast path for the shape nearly every sample has (an integer timestamp in
            # the window and a float); anything else goes through the checks below,
            # which build the error's field only when there is an error.
            if type(pair) in (list, tuple) and len(pair) == 2:
                ts_raw, value_raw = pair
                if type(ts_raw) is int and lo <= ts_raw <= hi and type(value_raw) is float:
                    out.append(Sample(ts_raw, value_raw))
                    continue
            field_ = f"{where}.samples[{j}]"
            try:
                if len(pair) != 2:
                    raise ValidationError("a sample is a [timestamp_ms, value] pair", field=field_)
                ts_raw, value_raw = pair
                if isinstance(ts_raw, bool) or not isinstance(ts_raw, (int, float)) or not math.isfinite(ts_raw) or ts_raw != int(ts_raw):
                    raise ValidationError(f"timestamp {ts_raw!r} must be an integer of milliseconds", field=f"{field_}[0]")
                ts = int(ts_raw)
                window.check(ts, now, field=f"{field_}[0]")
                out.append(Sample(ts, parse_sample_value(value_raw, field=f"{field_}[1]")))
            except ValidationError as exc:
                errors.append(exc)
                if len(errors) >= MAX_ERRORS_REPORTED:
                    break
        if len(out) > 1:
            out.sort(key=lambda smp: smp.timestamp_ms)
        return tuple(out)

    async def admit(self, tenant: str, samples: int) -> None:
        """Refuse work the pipeline cannot take now, before anything is published."""
        lag = await self._bus.lag(TELEMETRY_TOPIC, "writer")
        if lag > self.limits.max_consumer_lag:
            raise Backpressure(
                f"ingest is behind: {lag} messages wait to be written (limit max_consumer_lag="
                f"{self.limits.max_consumer_lag}); retry shortly",
                retry_after_s=1.0, limit="max_consumer_lag",
            )
        decision = await self._rate.acquire(
            f"ingest:{tenant}", samples, self.limits.rate_samples_per_s, self.limits.rate_burst
        )
        if not decision.allowed:
            raise Backpressure(
                f"tenant {tenant!r} is over its ingest rate of {self.limits.rate_samples_per_s:g} samples/s",
                retry_after_s=decision.retry_after_s, limit="rate_samples_per_s",
            )

    async def _check_active(self, tenant: str, series_ids: Any) -> None:
        """The tenant's active-series limit: 422 naming ``max_active_series`` when the
        request's new series would take it over (the request is refused whole)."""
        limits = self.limits
        if not limits.max_active_series or self._active is None:
            return
        now, window = self._clock.now_ms(), limits.active_series_window_ms
        if now - self._recorded_since >= window // 4:
            self._recorded.clear()
            self._recorded_since = now
        recorded = self._recorded.setdefault(tenant, set())
        fresh = set(series_ids.tolist()).difference(recorded)  # set arithmetic in C
        if not fresh:
            return
        active = await self._active.admit(tenant, sorted(fresh), limits.max_active_series, now, window)
        if active is not None:
            raise LimitExceeded(
                f"tenant {tenant!r} has {active} active series; this request's new series would take it over the limit "
                f"of {limits.max_active_series} (max_active_series). A series stops counting "
                f"{window // 1000} s after its last sample", field="series", limit="max_active_series",
                value=limits.max_active_series,
            )
        recorded |= fresh

    async def ingest(self, tenant: str, raw: Sequence[RawSeries], static_labels: dict[str, str] | None = None) -> IngestResult:
        batch = self.validate(tenant, raw, static_labels)
        await self.publish(batch)
        return IngestResult(series=len(batch.series), samples=batch.sample_count)

    async def publish(self, batch: SampleBatch) -> None:
        """One message per shard the batch touches; returns after the bus acknowledged all."""
        if not batch.series:
            return
        await self.publish_columns(ColumnarBatch.from_batch(batch))

    async def publish_columns(self, batch: ColumnarBatch) -> None:
        """``publish`` for a batch already in columns (validated: ids computed at ingest).

        The shards' messages are sent together, not one after the other, so a request
        waits for about one bus round trip; concurrent requests share messages
        (``ShardPublisher``)."""
        if not len(batch):
            return
        await self.admit(batch.tenant, batch.sample_count)
        await self._check_active(batch.tenant, batch.series_ids)
        parts = batch.split_by_shard(self._bus.partitions(TELEMETRY_TOPIC))
        await asyncio.gather(*(self._shards.publish(shard, part) for shard, part in parts.items()))


def _distinct(errors: list[ValidationError]) -> list[ValidationError]:
    """One entry per (field, message): formats that fan one point out into several
    series (a histogram's buckets) would otherwise repeat the same complaint."""
    seen: set[tuple[str | None, str]] = set()
    out = []
    for e in errors:
        if (e.field, e.message) not in seen:
            seen.add((e.field, e.message))
            out.append(e)
    return out
