"""Notification routing (ports/routing.py): one row per routing document (the tree,
each receiver, inhibit rule and time interval) with its version, and one revision
counter per tenant raised by every change."""

from __future__ import annotations

from django.db import models

from adapters.django_orm.common import tenant_field


class RoutingResource(models.Model):
    KINDS = [("tree", "routing tree"), ("receiver", "receiver"), ("inhibit_rule", "inhibit rule"),
             ("time_interval", "time interval")]

    tenant = tenant_field()
    kind = models.CharField(max_length=20, choices=KINDS)
    name = models.CharField(max_length=200)
    document = models.JSONField(help_text="the document as the API takes it; receivers' secrets sealed")
    version = models.PositiveIntegerField(default=1)
    updated_by = models.CharField(max_length=255, blank=True, default="")
    updated_at_ms = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "name"], name="oe_routing_tenant_kind_name_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.kind}/{self.name} v{self.version}"


class RoutingRevision(models.Model):
    tenant = tenant_field(primary_key=True)
    revision = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.tenant} r{self.revision}"
