"""The metrics catalogue: the metric families a tenant sends, with kind, unit and help."""

from __future__ import annotations

from django.db import models

from adapters.django_orm.common import tenant_field


class MetricFamily(models.Model):
    class Kind(models.TextChoices):
        GAUGE = "gauge"
        COUNTER = "counter"
        HISTOGRAM = "histogram"

    tenant = tenant_field()
    name = models.CharField(max_length=256)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    unit = models.CharField(max_length=64, blank=True, default="")
    help = models.TextField(blank=True, default="")
    buckets = models.JSONField(null=True, blank=True, help_text="histogram upper bounds (+Inf implied)")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "metric families"
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="oe_family_tenant_name_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.name} ({self.kind})"
