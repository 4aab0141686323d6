from django.contrib import admin

from adapters.django_orm.notifications.models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery audit: read-only."""

    list_display = ("key", "tenant", "receiver", "recipient", "incident_id", "channel", "channel_type", "status", "tries",
                    "last_outcome", "created_at_ms")
    list_filter = ("status", "channel_type", "tenant")
    search_fields = ("key", "receiver", "recipient", "incident_id", "channel", "group_key", "tenant")

    @admin.display(description="attempts")
    def tries(self, obj: Delivery) -> int:
        return len(obj.attempts or [])

    @admin.display(description="last outcome")
    def last_outcome(self, obj: Delivery) -> str:
        return (obj.attempts or [{}])[-1].get("outcome", "")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
