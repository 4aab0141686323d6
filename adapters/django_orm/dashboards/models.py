"""Each user's dashboard preferences and a tenant's saved dashboards (domain/dashboards/)."""

from __future__ import annotations

from django.db import models

from adapters.django_orm.common import tenant_field


class UserPreferences(models.Model):
    """One versioned document per user: the dashboard's layout and UI choices."""

    tenant = tenant_field()
    user_id = models.CharField(max_length=255, help_text="the principal's subject (a user id, or api_key:<id>)")
    dashboard_layout = models.JSONField(null=True, blank=True, help_text="[{id, kind, w, h}, ...]; null: the default")
    ui = models.JSONField(default=dict, blank=True, help_text="named UI choices")
    version = models.PositiveIntegerField(default=1)
    updated_at_ms = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "user preferences"
        verbose_name_plural = "user preferences"
        constraints = [models.UniqueConstraint(fields=["tenant", "user_id"], name="oe_prefs_tenant_user_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.user_id} v{self.version}"


class Dashboard(models.Model):
    """A tenant's saved dashboard (domain/dashboards/dashboard.py): its panels as JSON,
    who made and changed it, and the version writes check."""

    tenant = tenant_field()
    dashboard_id = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    panels = models.JSONField(default=list, help_text="[{title, queries, chart, range: {from, to, timezone}, step}]")
    version = models.PositiveIntegerField(default=1)
    created_by = models.CharField(max_length=255, blank=True, default="")
    created_at_ms = models.BigIntegerField(default=0)
    updated_by = models.CharField(max_length=255, blank=True, default="")
    updated_at_ms = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "dashboard"
        constraints = [models.UniqueConstraint(fields=["tenant", "dashboard_id"], name="oe_dashboard_tenant_id_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.title} ({self.dashboard_id}) v{self.version}"
