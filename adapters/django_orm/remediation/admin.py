from django.contrib import admin

from adapters.django_orm.remediation.models import Runbook


@admin.register(Runbook)
class RunbookAdmin(admin.ModelAdmin):
    """Read-only here: runbooks are written through the API, which validates them
    against the tenant's remediation policy and keeps the version."""

    list_display = ("runbook_id", "tenant", "name", "version", "updated_by", "updated_at_ms")
    list_filter = ("tenant",)
    search_fields = ("runbook_id", "name", "tenant")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
