"""Incidents and their timelines (one row per entry, appended as the aggregate grows),
and the postmortem documents written after them."""

from __future__ import annotations

from django.db import models

from adapters.django_orm.common import tenant_field


class Incident(models.Model):
    """The incident aggregate's state; ``version`` is the optimistic-concurrency token."""

    class Status(models.TextChoices):
        TRIGGERED = "triggered"
        ACKNOWLEDGED = "acknowledged"
        MITIGATED = "mitigated"
        RESOLVED = "resolved"
        CLOSED = "closed"

    class Severity(models.TextChoices):
        SEV1 = "SEV1"
        SEV2 = "SEV2"
        SEV3 = "SEV3"
        SEV4 = "SEV4"

    tenant = tenant_field()
    incident_id = models.CharField(max_length=200)
    title = models.CharField(max_length=500)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    opened_at_ms = models.BigIntegerField()
    acknowledged_at_ms = models.BigIntegerField(null=True, blank=True)
    first_acknowledged_at_ms = models.BigIntegerField(null=True, blank=True)
    mitigated_at_ms = models.BigIntegerField(null=True, blank=True)
    resolved_at_ms = models.BigIntegerField(null=True, blank=True)
    closed_at_ms = models.BigIntegerField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    alerts = models.JSONField(default=list, blank=True, help_text="fingerprints of the attached alerts")
    summary = models.TextField(blank=True, default="")
    dedup_key = models.CharField(max_length=200, null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "incident_id"], name="oe_incident_tenant_id_uniq")]
        indexes = [
            models.Index(fields=["tenant", "dedup_key", "status"], name="oe_incident_dedup_idx"),
            models.Index(fields=["tenant", "-opened_at_ms"], name="oe_incident_tenant_opened_idx"),
            models.Index(fields=["tenant", "status", "-opened_at_ms"], name="oe_incident_status_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.incident_id}: {self.title}"


class TimelineEntry(models.Model):
    """Entry ``seq`` (0-based) of an incident's timeline; ``data`` is [[key, value], ...]."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="entries")
    tenant = tenant_field()
    seq = models.PositiveIntegerField()
    at_ms = models.BigIntegerField()
    kind = models.CharField(max_length=64)
    actor = models.CharField(max_length=200)
    text = models.TextField(blank=True, default="")
    data = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "timeline entries"
        ordering = ["incident", "seq"]
        constraints = [models.UniqueConstraint(fields=["incident", "seq"], name="oe_timeline_incident_seq_uniq")]
        indexes = [models.Index(fields=["tenant", "kind"], name="oe_timeline_tenant_kind_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} by {self.actor}"


class Postmortem(models.Model):
    """One postmortem document (ports.postmortems.Postmortem); ``version`` only grows:
    the store never lets an older copy replace a newer one."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"
        CANCELLED = "cancelled"

    tenant = tenant_field()
    postmortem_id = models.CharField(max_length=250, help_text="the incident id, '.pm' and the response cycle")
    incident_id = models.CharField(max_length=200)
    title = models.CharField(max_length=600, help_text="'Postmortem: ' and the incident's title")
    owner = models.CharField(max_length=200)
    due_at_ms = models.BigIntegerField()
    body = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_by = models.CharField(max_length=200, null=True, blank=True)
    published_at_ms = models.BigIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "postmortem_id"], name="oe_postmortem_tenant_id_uniq")
        ]
        indexes = [models.Index(fields=["tenant", "incident_id"], name="oe_postmortem_incident_idx")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.postmortem_id}: {self.title}"


class OutboxMessage(models.Model):
    """The transactional outbox (ports.repositories.OutboxMessage): written in the unit of
    work that makes a change, handled after it commits by the outbox relay. Here because
    its messages are the incidents': their domain events and the workflow calls the
    alert pipeline hands over. ``dedup`` is unique per topic; ``claimed_by`` and
    ``claimed_until_ms`` are a relay's lease."""

    topic = models.CharField(max_length=64)
    tenant = tenant_field()
    key = models.CharField(max_length=200, help_text="messages of one key are handled in order")
    dedup = models.CharField(max_length=400)
    payload = models.JSONField(default=dict)
    created_at_ms = models.BigIntegerField()
    attempts = models.PositiveIntegerField(default=0)
    not_before_ms = models.BigIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    claimed_by = models.CharField(max_length=200, blank=True, default="")
    claimed_until_ms = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "outbox message"
        constraints = [models.UniqueConstraint(fields=["topic", "dedup"], name="oe_outbox_topic_dedup_uniq")]
        indexes = [models.Index(fields=["topic", "id"], name="oe_outbox_topic_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic} {self.key} ({self.attempts} attempts)"
