from django.contrib import admin

from adapters.django_orm.incidents.models import Incident, OutboxMessage, Postmortem, TimelineEntry


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    fields = ("seq", "at_ms", "kind", "actor", "text", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("seq",)

    def has_add_permission(self, request, obj=None) -> bool:  # the timeline is append-only, by the domain
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("incident_id", "tenant", "title", "severity", "status", "opened_at_ms", "resolved_at_ms", "version")
    list_filter = ("status", "severity", "tenant")
    search_fields = ("incident_id", "title", "dedup_key", "tenant")
    readonly_fields = ("version",)
    inlines = [TimelineInline]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    list_display = ("incident", "seq", "kind", "actor", "at_ms", "text")
    list_filter = ("kind", "tenant")
    search_fields = ("incident__incident_id", "actor", "text")
    list_select_related = ("incident",)


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ("postmortem_id", "tenant", "incident_id", "title", "owner", "status", "due_at_ms", "version")
    list_filter = ("status", "tenant")
    search_fields = ("postmortem_id", "incident_id", "title", "owner", "tenant")
    readonly_fields = ("version",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """What the relay has still to do or to tell (read-only: the relay owns it)."""

    list_display = ("id", "topic", "tenant", "key", "attempts", "not_before_ms", "last_error", "created_at_ms")
    list_filter = ("topic", "tenant")
    search_fields = ("key", "dedup", "tenant")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
