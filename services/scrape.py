"""The scraper: pull Prometheus text / OpenMetrics pages and ingest them like any batch.

Why it goes through ``IngestService``: a scraped sample must meet the same rules
(names, label limits, timestamp window) and land on the same telemetry topic as a
pushed one, so the writer, the evaluator and live subscribers cannot tell them apart.
As its own process (``observer-eye scrape``) it publishes straight to Kafka; with the
in-process bus it runs inside the embedded API process (entrypoints/runtime.py).

Per scrape, as Prometheus does, the target's series get its labels (``job``,
``instance`` and the configured ones) and three series describe the scrape itself:
``up`` (1 if the page was fetched and understood, else 0), ``scrape_duration_seconds``
and ``scrape_samples_scraped``. A failing target still gets those (``up`` = 0), and its
reason is logged when the target's state or reason changes (not every interval).

Scheduling: each target is scraped every ``interval`` at a fixed phase derived from a
hash of the target (spreading targets over the interval instead of scraping all at
once, and stable across restarts). A target still being scraped when due again is
skipped, never stacked. Targets run concurrently, so a slow one delays no other.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from domain.errors import ValidationError
from domain.metrics.batch import SampleBatch
from domain.metrics.exposition import ACCEPT_HEADER, MetricFamily, MetricType, is_openmetrics, parse
from ports.clock import Clock
from ports.scrape import ScrapeClient, ScrapeError
from services.ingest import Backpressure, IngestService, RawSeries
from services.scrape_config import ScrapeConfig, ScrapeTarget

log = logging.getLogger(__name__)

THREAD_PARSE_BYTES = 256 * 1024  # bigger pages are parsed off the event loop
_KINDS = {MetricType.COUNTER: "counter", MetricType.HISTOGRAM: "histogram"}
_CREATED_TYPES = (MetricType.COUNTER, MetricType.HISTOGRAM, MetricType.SUMMARY)


@dataclass(frozen=True, slots=True)
class ScrapeReport:
    target: ScrapeTarget
    at_ms: int
    up: bool
    duration_s: float
    samples_scraped: int
    series_ingested: int
    error: str = ""  # why the target is down
    ingest_error: str = ""  # the target answered, but its samples could not be published now


def exposition_series(families: Iterable[MetricFamily], target: ScrapeTarget, scrape_ms: int,
                      openmetrics: bool = False) -> list[RawSeries]:
    """The series of a page with the target's labels applied (Prometheus' rules).

    - a scraped label that clashes with a target label is kept as ``exported_<name>``,
      unless ``honor_labels`` (then the scraped value wins);
    - samples without a timestamp get the scrape's start (so do all, unless
      ``honor_timestamps``);
    - labels beginning with ``__`` are dropped (they are reserved here);
    - OpenMetrics ``_created`` samples are dropped: they are creation times, not values;
    - a series listed twice keeps its last sample.
    """
    target_labels = dict(target.labels)
    out: dict[tuple[str, tuple[tuple[str, str], ...]], RawSeries] = {}
    for fam in families:
        created = fam.name + "_created" if openmetrics and fam.type in _CREATED_TYPES else None
        for s in fam.samples:
            if s.name == created:
                continue
            labels = _merge(s.labels, target_labels, target.honor_labels)
            ts = s.timestamp_ms if target.honor_timestamps and s.timestamp_ms is not None else scrape_ms
            key = (s.name, tuple(sorted(labels.items())))
            out.pop(key, None)
            out[key] = RawSeries(s.name, labels, [[ts, s.value]], _kind(fam, s.name), fam.unit, origin=s.name)
    return list(out.values())


def _merge(scraped: dict[str, str], target: dict[str, str], honor: bool) -> dict[str, str]:
    labels = {k: v for k, v in scraped.items() if not k.startswith("__")}
    if honor:
        return {**target, **labels}
    clashes = [(name, labels[name]) for name in target if labels.get(name, "") != ""]
    labels.update(target)
    for name, value in sorted(clashes, key=lambda c: len(c[0])):  # Prometheus' order
        exported = "exported_" + name
        while labels.get(exported, "") != "":
            exported = "exported_" + exported
        labels[exported] = value
    return labels


def _kind(fam: MetricFamily, sample_name: str) -> str:
    if fam.type is MetricType.SUMMARY:
        return "counter" if sample_name in (fam.name + "_sum", fam.name + "_count") else "gauge"
    return _KINDS.get(fam.type, "gauge")


def scrape_phase(target: ScrapeTarget) -> float:
    """Where in its interval a target is scraped, as a fraction: a stable hash of it."""
    return zlib.crc32(f"{target.tenant}/{target.job}/{target.url}".encode()) / 2**32


@dataclass
class _Schedule:
    target: ScrapeTarget
    next_s: float
    running: bool = False


class ScrapeService:
    def __init__(self, client: ScrapeClient, ingest: IngestService, clock: Clock, config: ScrapeConfig, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._ingest = ingest
        self._clock = clock
        self._config = config
        self._monotonic = monotonic
        start = monotonic()
        self._schedules = [
            _Schedule(t, start + scrape_phase(t) * t.interval_ms / 1000) for t in config.targets
        ]
        self.reports: dict[tuple[str, str, str], ScrapeReport] = {}  # the latest per target

    @property
    def targets(self) -> tuple[ScrapeTarget, ...]:
        return self._config.targets

    def next_due(self, target: ScrapeTarget) -> float:
        """When (on the monotonic clock) ``target`` is next scraped."""
        return next(s.next_s for s in self._schedules if s.target.key == target.key)

    # -- one scrape ----------------------------------------------------------------------

    async def scrape(self, target: ScrapeTarget) -> ScrapeReport:
        """Fetch, parse and ingest one target's page, with its ``up`` and scrape series."""
        start_ms = self._clock.now_ms()
        t0 = self._monotonic()
        series: list[RawSeries] = []
        scraped = 0
        error = ""
        try:
            series, scraped = await self._fetch(target, start_ms)
        except TimeoutError:
            error = f"no answer within the scrape timeout of {target.timeout_ms / 1000:g}s"
        except (ScrapeError, ValidationError) as exc:
            error = getattr(exc, "message", None) or str(exc)
        except Exception as exc:  # a bug or an adapter surprise: the target is down, the loop goes on
            log.exception("scraping %s failed unexpectedly", target)
            error = f"unexpected error: {exc!r}"
        duration = max(self._monotonic() - t0, 0.0)
        ingest_error = ""
        try:
            try:
                await self._push(target, series + _meta(target, start_ms, not error, duration, scraped))
            except ValidationError as exc:
                # The page broke an ingest rule (label limits, names): the scrape fails
                # whole, as in Prometheus, but up=0 and the reason are still recorded.
                error, series = f"samples rejected: {exc.message} (at {exc.field})", []
                await self._push(target, _meta(target, start_ms, False, duration, scraped))
        except (Backpressure, ValidationError) as exc:  # behind, or even up{...} refused (ingest limits)
            ingest_error = str(exc)
            log.warning("scrape of %s not ingested: %s", target, exc)
        report = ScrapeReport(target, start_ms, not error, duration, scraped, len(series), error, ingest_error)
        self._log_change(report)
        self.reports[target.key] = report
        return report

    async def _fetch(self, target: ScrapeTarget, start_ms: int) -> tuple[list[RawSeries], int]:
        timeout_s = target.timeout_ms / 1000
        headers = {"Accept": ACCEPT_HEADER, "X-Prometheus-Scrape-Timeout-Seconds": f"{timeout_s:g}", **dict(target.headers)}
        resp = await asyncio.wait_for(
            self._client.fetch(target.url, headers=headers, timeout_s=timeout_s, max_bytes=self._config.max_body_bytes),
            timeout_s,
        )
        if not 200 <= resp.status < 300:
            raise ScrapeError(f"server returned HTTP status {resp.status}")
        if len(resp.body) > THREAD_PARSE_BYTES:
            families = await asyncio.to_thread(parse, resp.body, resp.content_type)
        else:
            families = parse(resp.body, resp.content_type)
        scraped = sum(len(f.samples) for f in families)
        if target.sample_limit and scraped > target.sample_limit:
            raise ScrapeError(f"the page has {scraped} samples, over the target's sample_limit of {target.sample_limit}")
        series = exposition_series(families, target, start_ms, is_openmetrics(resp.content_type))
        return self._in_window(target, series, start_ms), scraped

    def _in_window(self, target: ScrapeTarget, series: list[RawSeries], now_ms: int) -> list[RawSeries]:
        """Samples with explicit timestamps outside the accepted window are dropped (as
        Prometheus drops out-of-bounds samples) instead of failing the whole scrape."""
        window = self._ingest.limits.window
        lo, hi = now_ms - window.max_age_ms, now_ms + window.max_future_ms
        kept = [s for s in series if lo <= s.samples[0][0] <= hi]
        if len(kept) != len(series):
            log.debug("%s: %d samples outside the accepted time window dropped", target, len(series) - len(kept))
        return kept

    async def _push(self, target: ScrapeTarget, series: Sequence[RawSeries]) -> None:
        """Validate every chunk first, then publish: a page is accepted whole or not at all."""
        limits = self._ingest.limits
        step = max(1, min(limits.max_series_per_batch, limits.max_samples_per_batch))
        batches: list[SampleBatch] = [
            self._ingest.validate(target.tenant, series[i:i + step]) for i in range(0, len(series), step)
        ]
        for batch in batches:
            await self._ingest.publish(batch)

    def _log_change(self, report: ScrapeReport) -> None:
        previous = self.reports.get(report.target.key)
        if report.up:
            if previous is not None and not previous.up:
                log.info("target %s is up again", report.target)
        elif previous is None or previous.up or previous.error != report.error:
            log.warning("target %s is down: %s", report.target, report.error)

    # -- the schedule --------------------------------------------------------------------

    def _take_due(self) -> list[_Schedule]:
        now = self._monotonic()
        due = []
        for s in self._schedules:
            if s.next_s > now:
                continue
            interval = s.target.interval_ms / 1000
            missed = int((now - s.next_s) // interval) + 1  # skip ticks we slept through
            s.next_s += missed * interval
            if s.running:
                log.debug("%s is still being scraped; this interval is skipped", s.target)
                continue
            due.append(s)
        return due

    async def _scrape_guarded(self, s: _Schedule) -> ScrapeReport | None:
        s.running = True
        try:
            return await self.scrape(s.target)
        except Exception:
            log.exception("scrape round of %s failed", s.target)
            return None
        finally:
            s.running = False

    async def run_due(self) -> list[ScrapeReport]:
        """Scrape (concurrently) every target whose time has come; the reports."""
        reports = await asyncio.gather(*(self._scrape_guarded(s) for s in self._take_due()))
        return [r for r in reports if r is not None]

    async def run(self, stop: asyncio.Event) -> None:
        """Scrape until ``stop``; owns the client and closes it at the end."""
        log.info("scraping %d targets", len(self._schedules))
        running: set[asyncio.Task[ScrapeReport | None]] = set()
        try:
            while not stop.is_set():
                for s in self._take_due():
                    task = asyncio.create_task(self._scrape_guarded(s), name=f"scrape {s.target}")
                    running.add(task)
                    task.add_done_callback(running.discard)
                wake = min((s.next_s for s in self._schedules), default=self._monotonic() + 3600)
                try:
                    await asyncio.wait_for(stop.wait(), max(wake - self._monotonic(), 0.005))
                except TimeoutError:
                    pass
        finally:
            for task in list(running):
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            await self._client.close()


def _meta(target: ScrapeTarget, at_ms: int, up: bool, duration_s: float, scraped: int) -> list[RawSeries]:
    labels = dict(target.labels)
    return [
        RawSeries("up", labels, [[at_ms, 1.0 if up else 0.0]]),
        RawSeries("scrape_duration_seconds", labels, [[at_ms, duration_s]], unit="seconds"),
        RawSeries("scrape_samples_scraped", labels, [[at_ms, float(scraped)]]),
    ]
