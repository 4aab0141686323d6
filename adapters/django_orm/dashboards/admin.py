from django.contrib import admin

from adapters.django_orm.dashboards.models import Dashboard, UserPreferences


@admin.register(UserPreferences)
class UserPreferencesAdmin(admin.ModelAdmin):
    list_display = ("user_id", "tenant", "tiles", "version", "updated_at_ms")
    list_filter = ("tenant",)
    search_fields = ("user_id", "tenant")

    @admin.display(description="tiles")
    def tiles(self, obj: UserPreferences) -> str:
        return "default" if obj.dashboard_layout is None else str(len(obj.dashboard_layout))


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    list_display = ("title", "tenant", "dashboard_id", "panel_count", "version", "updated_by", "updated_at_ms")
    list_filter = ("tenant",)
    search_fields = ("title", "dashboard_id", "tenant", "description")

    @admin.display(description="panels")
    def panel_count(self, obj: Dashboard) -> int:
        return len(obj.panels or [])
