"""The delivery audit: one ``Delivery`` per notification (an alert group's to a receiver
channel, or a page or reminder to a person), with every attempt to send it. No secrets
(channel targets) are stored: the audit is readable by every viewer of the tenant."""

from __future__ import annotations

from django.db import models

from adapters.django_orm.common import tenant_field


class Delivery(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RETRYING = "retrying"
        SENT = "sent"
        FAILED = "failed"

    tenant = tenant_field()
    key = models.CharField(max_length=200, help_text="the notification's idempotency key")
    receiver = models.CharField(max_length=200)
    channel = models.CharField(max_length=200)
    channel_type = models.CharField(max_length=32)
    group_key = models.CharField(max_length=200)
    notification_at_ms = models.BigIntegerField()
    created_at_ms = models.BigIntegerField()
    updated_at_ms = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices)
    alerts = models.JSONField(default=list, blank=True, help_text="fingerprints of the alerts notified")
    recipient = models.CharField(max_length=200, blank=True, default="", help_text="the person, for a page or reminder")
    incident_id = models.CharField(max_length=200, blank=True, default="", help_text="the incident it is about")
    subject = models.CharField(max_length=500, blank=True, default="")
    attempts = models.JSONField(default=list, blank=True, help_text="every attempt, oldest first")

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="oe_delivery_tenant_key_uniq")]
        indexes = [
            models.Index(fields=["tenant", "-created_at_ms"], name="oe_delivery_tenant_created_idx"),
            models.Index(fields=["tenant", "status", "-created_at_ms"], name="oe_delivery_status_idx"),
            models.Index(fields=["tenant", "group_key"], name="oe_delivery_group_idx"),
            models.Index(fields=["tenant", "incident_id"], name="oe_delivery_incident_idx"),
            models.Index(fields=["tenant", "recipient"], name="oe_delivery_recipient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.key} to {self.receiver}/{self.channel} [{self.status}]"
