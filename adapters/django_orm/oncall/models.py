"""Escalation policies and on-call schedules: one row per resource, its document as JSON
(domain/incidents/oncall_documents.py) and the version writes are checked against; and
one row per tenant the seed file was applied to (it seeds a tenant once); and people's
calendar feeds (the hash of each secret token, never the token)."""

from __future__ import annotations

from django.db import models

from adapters.django_orm.common import tenant_field


class OnCallResource(models.Model):
    KINDS = [("policy", "escalation policy"), ("schedule", "on-call schedule")]

    tenant = tenant_field()
    kind = models.CharField(max_length=16, choices=KINDS)
    resource_id = models.CharField(max_length=200)
    name = models.CharField(max_length=500)
    document = models.JSONField(help_text="the policy or schedule (domain/incidents/oncall_documents.py)")
    version = models.PositiveIntegerField(default=1)
    updated_by = models.CharField(max_length=255, blank=True, default="")
    updated_at_ms = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "resource_id"],
                                               name="oe_oncall_tenant_kind_id_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.kind}/{self.resource_id} v{self.version}"


class OnCallSeed(models.Model):
    tenant = tenant_field(unique=True)
    seeded_at_ms = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.tenant} seeded at {self.seeded_at_ms}"


class OnCallFeed(models.Model):
    tenant = tenant_field()
    feed_id = models.CharField(max_length=64)
    user = models.CharField(max_length=255, help_text="whose shifts the feed shows")
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret in the feed's URL")
    created_by = models.CharField(max_length=255)
    created_at_ms = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "feed_id"], name="oe_oncall_feed_tenant_id_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.feed_id} ({self.user})"
