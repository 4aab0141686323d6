from django.contrib import admin

from adapters.django_orm.alerts.models import Alert, AlertDecision, MaintenanceWindow, Rule, Silence


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "kind", "group", "enabled", "selector", "condition", "for_ms", "version",
                    "updated_at")
    list_filter = ("kind", "enabled", "tenant")
    search_fields = ("name", "rule_id", "selector", "tenant")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description="condition")
    def condition(self, obj: Rule) -> str:
        p = obj.params or {}
        if obj.kind == Rule.Kind.THRESHOLD:
            return f"{p.get('aggregation')}[{p.get('window_ms')}ms] {p.get('comparison')} {p.get('threshold')}"
        if obj.kind == Rule.Kind.ABSENCE:
            return f"absent for {p.get('absent_for_ms')}ms"
        return f"{p.get('detector')} score >= {p.get('level')}"


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("alertname", "tenant", "state", "fingerprint", "rule_id", "fired_at_ms", "resolved_at_ms", "value")
    list_filter = ("state", "tenant")
    search_fields = ("alertname", "fingerprint", "rule_id", "tenant")


@admin.register(Silence)
class SilenceAdmin(admin.ModelAdmin):
    list_display = ("silence_id", "tenant", "created_by", "comment", "starts_at_ms", "ends_at_ms", "is_maintenance")
    list_filter = ("tenant",)
    search_fields = ("silence_id", "created_by", "comment", "tenant")

    @admin.display(boolean=True, description="maintenance window")
    def is_maintenance(self, obj: Silence) -> bool:
        return obj.recurrence is not None


@admin.register(AlertDecision)
class AlertDecisionAdmin(admin.ModelAdmin):
    """The alert history ("why was I (not) paged?"): read-only."""

    list_display = ("fingerprint", "tenant", "stage", "outcome", "reason", "receiver", "at_ms")
    list_filter = ("stage", "outcome", "tenant")
    search_fields = ("fingerprint", "reason", "receiver", "group_key", "key", "tenant")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "window_id", "created_by", "comment", "version", "seeded_from")
    list_filter = ("tenant",)
    search_fields = ("name", "window_id", "comment", "created_by", "tenant")
