"""The runbook catalogue: one row per runbook, its document as JSON, and the version
writes are checked against (optimistic concurrency)."""

from __future__ import annotations

from django.db import models

from adapters.django_orm.common import tenant_field


class Runbook(models.Model):
    tenant = tenant_field()
    runbook_id = models.CharField(max_length=200)
    name = models.CharField(max_length=500)
    definition = models.JSONField(help_text="the runbook document: id, name, steps (domain/remediation/runbook.py)")
    version = models.PositiveIntegerField(default=1)
    updated_by = models.CharField(max_length=255, blank=True, default="")
    updated_at_ms = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "runbook_id"], name="oe_runbook_tenant_id_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.runbook_id} v{self.version}"


class RunbookVersion(models.Model):
    """Every version of a runbook written, kept until the runbook is deleted: what a run
    executed (its ``runbook_version``), and what changed between two."""

    tenant = tenant_field()
    runbook_id = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=500)
    definition = models.JSONField()
    updated_by = models.CharField(max_length=255, blank=True, default="")
    updated_at_ms = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "runbook_id", "version"],
                                               name="oe_runbookversion_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.runbook_id} v{self.version}"
