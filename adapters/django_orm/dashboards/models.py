"""Each user's dashboard preferences (domain/dashboards/preferences.py)."""

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
