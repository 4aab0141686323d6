"""PromQL rule groups: one row per (tenant, name), the rules as their Prometheus rule
file document (JSON), so what is stored is what an export writes."""

from __future__ import annotations

from django.db import models

from adapters.django_orm.common import tenant_field


class RuleGroup(models.Model):
    tenant = tenant_field()
    name = models.CharField(max_length=512)
    source = models.CharField(max_length=512, blank=True, default="", help_text="the rule file it was imported from")
    interval_ms = models.BigIntegerField(default=0, help_text="0: the default evaluation interval")
    limit = models.IntegerField(default=0, help_text="alerts or series a rule may produce; 0: no limit")
    rules = models.JSONField(default=list, help_text="the rules in Prometheus' rule file format")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "PromQL rule group"
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="oe_rulegroup_tenant_name_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.name}"
