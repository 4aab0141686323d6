"""Rules, alerts and silences (maintenance windows are silences with a recurrence)."""

from __future__ import annotations

from django.db import models

from adapters.django_orm.common import tenant_field


class Rule(models.Model):
    """An alert rule: the shared header in columns, the kind's parameters in ``params``."""

    class Kind(models.TextChoices):
        THRESHOLD = "threshold"
        ABSENCE = "absence"
        ANOMALY = "anomaly"

    tenant = tenant_field()
    rule_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=256, help_text="the alert name (the alertname label)")
    selector = models.TextField(help_text="PromQL series selector")
    for_ms = models.BigIntegerField(default=0)
    keep_firing_for_ms = models.BigIntegerField(default=0)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=list, blank=True, help_text="[[name, template], ...]")
    params = models.JSONField(default=dict, help_text="the parameters of the rule kind")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The rule as a configuration resource (docs/adr/0017-configuration-resources.md).
    group = models.CharField(max_length=200, default="default", help_text="the rule group it is listed under")
    enabled = models.BooleanField(default=True, help_text="a disabled rule is kept but not evaluated")
    version = models.PositiveIntegerField(default=1, help_text="raised by every write; writes name the one they read")
    updated_by = models.CharField(max_length=255, blank=True, default="")
    updated_at_ms = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "alert rule"
        constraints = [models.UniqueConstraint(fields=["tenant", "rule_id"], name="oe_rule_tenant_rule_id_uniq")]
        indexes = [models.Index(fields=["tenant", "name"], name="oe_rule_tenant_name_idx"),
                   models.Index(fields=["tenant", "group"], name="oe_rule_tenant_group_idx")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.name} ({self.rule_id})"


class Alert(models.Model):
    """One alert per (tenant, fingerprint); ``value`` NULL means NaN (no value yet)."""

    class State(models.TextChoices):
        INACTIVE = "inactive"
        PENDING = "pending"
        FIRING = "firing"
        RESOLVED = "resolved"

    tenant = tenant_field()
    fingerprint = models.CharField(max_length=64)
    rule_id = models.CharField(max_length=200)
    alertname = models.CharField(max_length=256, blank=True, help_text="copy of the alertname label")
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=16, choices=State.choices)
    active_at_ms = models.BigIntegerField(null=True, blank=True)
    fired_at_ms = models.BigIntegerField(null=True, blank=True)
    resolved_at_ms = models.BigIntegerField(null=True, blank=True)
    keep_firing_since_ms = models.BigIntegerField(null=True, blank=True)
    last_eval_ms = models.BigIntegerField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "fingerprint"], name="oe_alert_tenant_fingerprint_uniq")
        ]
        indexes = [
            models.Index(fields=["tenant", "state"], name="oe_alert_tenant_state_idx"),
            models.Index(fields=["tenant", "rule_id"], name="oe_alert_tenant_rule_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.alertname or self.fingerprint} [{self.state}]"


class Silence(models.Model):
    """A silence; with a ``recurrence`` it is a maintenance window."""

    tenant = tenant_field()
    silence_id = models.CharField(max_length=200)
    matchers = models.JSONField(help_text="[[label, op, value], ...]")
    starts_at_ms = models.BigIntegerField()
    ends_at_ms = models.BigIntegerField()
    created_by = models.CharField(max_length=200)
    comment = models.TextField()
    recurrence = models.JSONField(null=True, blank=True)
    updated_at_ms = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "silence_id"], name="oe_silence_tenant_id_uniq")]
        indexes = [models.Index(fields=["tenant", "ends_at_ms"], name="oe_silence_tenant_ends_idx")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.silence_id}"


class AlertDecision(models.Model):
    """The alert history: one row per decision of the alert pipeline (append-only)."""

    tenant = tenant_field()
    fingerprint = models.CharField(max_length=64)
    stage = models.CharField(max_length=16)
    outcome = models.CharField(max_length=32)
    reason = models.TextField(blank=True, default="")
    at_ms = models.BigIntegerField()
    receiver = models.CharField(max_length=200, blank=True, default="")
    group_key = models.CharField(max_length=200, blank=True, default="")
    key = models.CharField(max_length=200, blank=True, default="", help_text="the notification's idempotency key")

    class Meta:
        verbose_name = "alert decision"
        indexes = [models.Index(fields=["tenant", "fingerprint", "-id"], name="oe_decision_alert_idx")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.fingerprint}: {self.stage} {self.outcome}"


class MaintenanceWindow(models.Model):
    """A maintenance window as a configuration resource (domain/alerts/maintenance.py):
    matchers, a schedule in a time zone, who and why, and the version writes check."""

    tenant = tenant_field()
    window_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    matchers = models.JSONField(help_text="[[label, op, value], ...]")
    schedule = models.JSONField(help_text="kind (once, weekly, rrule), timezone, starts/ends, weekdays, start_time, "
                                          "duration_ms, rrule")
    comment = models.TextField(help_text="why alerts are muted")
    created_by = models.CharField(max_length=255)
    created_at_ms = models.BigIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.CharField(max_length=255, blank=True, default="")
    updated_at_ms = models.BigIntegerField(default=0)
    seeded_from = models.CharField(max_length=200, blank=True, default="",
                                   help_text="the setting (OBSERVER_MAINTENANCE_WINDOWS) it was seeded from")

    class Meta:
        verbose_name = "maintenance window"
        constraints = [models.UniqueConstraint(fields=["tenant", "window_id"], name="oe_mwindow_tenant_id_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.name} ({self.window_id}) v{self.version}"
