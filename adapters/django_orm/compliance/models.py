"""Control evaluations with their evidence, and the facts integrators push. Controls
themselves live in code (``domain.compliance.catalogue``): evaluations are keyed by
control id."""

from __future__ import annotations

from django.db import models

from adapters.django_orm.common import tenant_field


class Evaluation(models.Model):
    """One immutable evaluation record (the audit trail keeps every one)."""

    class Status(models.TextChoices):
        PASS = "pass"
        FAIL = "fail"
        ERROR = "error"
        NOT_APPLICABLE = "not_applicable"

    tenant = tenant_field()
    control_id = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices)
    evaluated_at_ms = models.BigIntegerField()
    error = models.TextField(null=True, blank=True)
    evidence = models.JSONField(default=list, blank=True, help_text="what was looked at and expected")

    class Meta:
        constraints = [  # one per instant: a retried evaluation run replaces, never duplicates
            models.UniqueConstraint(fields=["tenant", "control_id", "evaluated_at_ms"], name="oe_eval_instant_uniq")
        ]
        indexes = [
            models.Index(fields=["tenant", "control_id", "-evaluated_at_ms"], name="oe_eval_control_latest_idx"),
            models.Index(fields=["tenant", "-evaluated_at_ms"], name="oe_eval_tenant_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.control_id}: {self.status}"


class Fact(models.Model):
    """A fact about a tenant's deployment as last reported, with who reported it and when."""

    tenant = tenant_field()
    key = models.CharField(max_length=200, help_text='dotted, e.g. "ingest.tls.enabled"')
    value = models.JSONField(null=True, blank=True)
    source = models.CharField(max_length=200)
    updated_at_ms = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="oe_fact_tenant_key_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.key}"
