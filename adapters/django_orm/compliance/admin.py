from django.contrib import admin

from adapters.django_orm.compliance.models import Evaluation, Fact


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    """Evaluations are an audit trail: read-only here."""

    list_display = ("control_id", "tenant", "status", "evaluated_at_ms", "error")
    list_filter = ("status", "tenant")
    search_fields = ("control_id", "tenant", "error")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Fact)
class FactAdmin(admin.ModelAdmin):
    list_display = ("key", "tenant", "value", "source", "updated_at_ms")
    list_filter = ("source", "tenant")
    search_fields = ("key", "source", "tenant")
