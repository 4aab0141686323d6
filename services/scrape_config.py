"""The scrape configuration: which targets, how often, with which labels.

A JSON file (``OBSERVER_SCRAPE_CONFIG``), read once at start; docs/streaming.md has the
format. Everything is checked up front and every problem names its field
(``targets[2].timeout``), because a scraper that starts with a half-understood
configuration fails silently later, one target at a time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from domain.errors import ValidationError
from domain.identity.tenants import validate_tenant_id
from domain.metrics.labels import LabelSet
from services.pipeline.config import parse_duration_ms

DEFAULT_INTERVAL_MS = 15_000
DEFAULT_TIMEOUT_MS = 10_000
DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024
_TARGET_KEYS = {"job", "url", "interval", "timeout", "labels", "honor_labels", "honor_timestamps", "headers",
                "sample_limit", "tenant"}


@dataclass(frozen=True, slots=True)
class ScrapeTarget:
    job: str
    url: str
    interval_ms: int = DEFAULT_INTERVAL_MS
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    labels: tuple[tuple[str, str], ...] = ()  # job and instance included
    honor_labels: bool = False
    honor_timestamps: bool = True
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # may hold credentials: never logged
    sample_limit: int = 0  # 0: no limit
    tenant: str = "default"

    @property
    def instance(self) -> str:
        return dict(self.labels).get("instance", "")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.tenant, self.job, self.url)

    def __str__(self) -> str:
        return f"{self.job}/{self.instance}"


@dataclass(frozen=True, slots=True)
class ScrapeConfig:
    targets: tuple[ScrapeTarget, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


def load_scrape_config(path: Path | str | None, default_tenant: str = "default") -> ScrapeConfig:
    """The configuration in the JSON file at ``path``; no targets if ``path`` is None."""
    if path is None or str(path) == "":
        return ScrapeConfig()
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except OSError as exc:
        raise ValidationError(f"cannot read the scrape configuration {p}: {exc.strerror}", field="scrape_config") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{p} is not JSON: {exc}", field="scrape_config") from None
    return parse_scrape_config(doc, default_tenant)


def parse_scrape_config(doc: Any, default_tenant: str = "default") -> ScrapeConfig:
    """``{"tenant"?, "interval"?, "timeout"?, "max_body_bytes"?, "targets": [...]}``, or just the list."""
    if isinstance(doc, list):
        doc = {"targets": doc}
    if not isinstance(doc, Mapping):
        raise ValidationError("the scrape configuration is an object with 'targets' (or a list of targets)", field="")
    unknown = set(doc) - {"tenant", "interval", "timeout", "max_body_bytes", "targets"}
    if unknown:
        raise ValidationError(f"unknown settings {sorted(unknown)}", field=sorted(unknown)[0])
    tenant = validate_tenant_id(doc.get("tenant", default_tenant), field="tenant")
    interval = parse_duration_ms(doc.get("interval", DEFAULT_INTERVAL_MS / 1000), "interval")
    timeout = doc.get("timeout")
    max_body = doc.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)
    if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 1024:
        raise ValidationError("max_body_bytes must be an integer >= 1024", field="max_body_bytes")
    raw_targets = doc.get("targets", [])
    if not isinstance(raw_targets, list):
        raise ValidationError("targets must be a list", field="targets")
    targets: list[ScrapeTarget] = []
    seen: set[tuple[str, str, str]] = set()
    for i, raw in enumerate(raw_targets):
        try:
            t = _target(raw, tenant, interval, timeout)
        except ValidationError as exc:
            raise exc.at(f"targets[{i}]") from None
        if t.key in seen:
            raise ValidationError(f"target {t.url} of job {t.job!r} is listed twice", field=f"targets[{i}]")
        seen.add(t.key)
        targets.append(t)
    return ScrapeConfig(tuple(targets), max_body)


def _target(raw: Any, tenant: str, default_interval_ms: int, default_timeout: Any) -> ScrapeTarget:
    if not isinstance(raw, Mapping):
        raise ValidationError("a target is an object with at least 'job' and 'url'", field="")
    unknown = set(raw) - _TARGET_KEYS
    if unknown:
        raise ValidationError(f"unknown target settings {sorted(unknown)}", field=sorted(unknown)[0])
    job = raw.get("job")
    if not isinstance(job, str) or not job.strip():
        raise ValidationError("job must be a non-empty string", field="job")
    url = raw.get("url")
    instance = _check_url(url)
    interval = parse_duration_ms(raw.get("interval", default_interval_ms / 1000), "interval")
    if interval < 100:
        raise ValidationError("interval must be at least 100ms", field="interval")
    timeout_raw = raw.get("timeout", default_timeout)
    if timeout_raw is None:
        timeout = min(DEFAULT_TIMEOUT_MS, interval)
    else:
        timeout = parse_duration_ms(timeout_raw, "timeout")
        if not 0 < timeout <= interval:
            raise ValidationError(f"timeout must be > 0 and at most the interval ({interval}ms)", field="timeout")
    labels = raw.get("labels", {})
    if not isinstance(labels, Mapping):
        raise ValidationError("labels must be an object of strings", field="labels")
    if "job" in labels:
        raise ValidationError("the job label comes from 'job'; do not repeat it in labels", field="labels.job")
    merged = LabelSet.of({"instance": instance, **labels, "job": job})
    headers = raw.get("headers", {})
    if not isinstance(headers, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise ValidationError("headers must be an object of strings", field="headers")
    limit = raw.get("sample_limit", 0)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValidationError("sample_limit must be an integer >= 0 (0: none)", field="sample_limit")
    return ScrapeTarget(
        job=job, url=url, interval_ms=interval, timeout_ms=timeout, labels=merged.pairs,
        honor_labels=_flag(raw, "honor_labels", False), honor_timestamps=_flag(raw, "honor_timestamps", True),
        headers=tuple(headers.items()), sample_limit=limit,
        tenant=validate_tenant_id(raw.get("tenant", tenant), field="tenant"),
    )


def _check_url(url: Any) -> str:
    """The ``instance`` label of the target (``host:port``, as Prometheus names it)."""
    if not isinstance(url, str):
        raise ValidationError("url must be a string like http://host:9100/metrics", field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValidationError(f"invalid url {url!r}: {exc}", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"invalid url {url!r}: use http:// or https:// and a host", field="url")
    return parts.netloc.rpartition("@")[2]


def _flag(raw: Mapping[str, Any], name: str, default: bool) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", field=name)
    return value
