from django.contrib import admin

from adapters.django_orm.routing.models import RoutingResource, RoutingRevision


@admin.register(RoutingResource)
class RoutingResourceAdmin(admin.ModelAdmin):
    """Read-only here: routing is written through the API (or ``observer-eye routing``),
    which validates it, seals receivers' secrets, keeps versions and the audit, and tells
    the running pipeline."""

    list_display = ("name", "kind", "tenant", "version", "updated_by", "updated_at_ms")
    list_filter = ("tenant", "kind")
    search_fields = ("name", "tenant")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RoutingRevision)
class RoutingRevisionAdmin(admin.ModelAdmin):
    list_display = ("tenant", "revision")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
