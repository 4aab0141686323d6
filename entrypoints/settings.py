"""Configuration from ``OBSERVER_*`` environment variables (and a ``.env`` file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OBSERVER_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8400, ge=1, le=65535)
    data_dir: Path = Path("var")
    log_level: str = "INFO"

    # Adapter choice per port. Only the in-process adapters exist yet; the production
    # ones (Kafka, PostgreSQL, Redis, Celery, Temporal) are added with their issues.
    bus: Literal["memory"] = "memory"
    sample_store: Literal["memory"] = "memory"
    repository: Literal["memory"] = "memory"
    cache: Literal["memory"] = "memory"
    tasks: Literal["memory"] = "memory"
    workflows: Literal["memory"] = "memory"
    notifier: Literal["log"] = "log"

    bus_partitions: int = Field(4, ge=1, le=1024)
    tenant: str = "default"

    # Limits (DESIGN.md §7): over them the API answers 413/422/429 naming the limit.
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    max_samples_per_batch: int = Field(100_000, ge=1)
    max_series_per_batch: int = Field(10_000, ge=1)
    max_labels_per_series: int = Field(30, ge=1)
    max_label_name_length: int = Field(128, ge=1)
    max_label_value_length: int = Field(1024, ge=1)
    max_sample_age_s: int = Field(24 * 3600, ge=1)
    max_sample_future_s: int = Field(600, ge=0)
    max_consumer_lag: int = Field(10_000, ge=1)
    ingest_rate_samples_per_s: float = Field(1_000_000.0, gt=0)
    ingest_rate_burst: int = Field(2_000_000, ge=1)

    # The local agent `observer-eye run` starts (this host's metrics).
    agent: bool = True
    agent_interval_s: float = Field(5.0, gt=0)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_key_file(self) -> Path:
        return self.data_dir / "api-key"
