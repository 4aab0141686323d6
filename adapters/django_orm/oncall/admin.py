from django.contrib import admin

from adapters.django_orm.oncall.models import OnCallFeed, OnCallResource, OnCallSeed


@admin.register(OnCallResource)
class OnCallResourceAdmin(admin.ModelAdmin):
    """Read-only here: policies and schedules are written through the API, which
    validates them, keeps the version, audits the change and tells every process."""

    list_display = ("resource_id", "kind", "tenant", "name", "version", "updated_by", "updated_at_ms")
    list_filter = ("kind", "tenant")
    search_fields = ("resource_id", "name", "tenant")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OnCallSeed)
class OnCallSeedAdmin(admin.ModelAdmin):
    list_display = ("tenant", "seeded_at_ms")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OnCallFeed)
class OnCallFeedAdmin(admin.ModelAdmin):
    """Deleting a feed here revokes its URL; feeds are made through the API."""

    list_display = ("feed_id", "tenant", "user", "created_by", "created_at_ms")
    list_filter = ("tenant",)
    search_fields = ("feed_id", "user", "tenant")
    exclude = ("token_hash",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
